"""The audit log, searchable (supervisors): who did what, to whom, when, why and from
where, newest first, 100 a page; and how many unauthenticated requests were refused in
each of the last 24 hours (the audit keeps the first of each hour, `refusals`)."""

from __future__ import annotations

import unicodedata
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from shunfuri.clock import wall_now
from shunfuri.services.staff import audit, refusals
from web.db import PageSession
from web.staff.site import allowed, render, router

pages = router()
PAGE = 100


def _number(raw: str) -> int | None:
    text = unicodedata.normalize("NFKC", raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


@pages.get("/audit")
def audit_page(request: Request, session: PageSession,
               actor: str = "", action: str = "", member: str = "",
               text: str = "", refused: str = "", before: str = "") -> Response:
    allowed(request, "audit.view")
    filters: dict[str, Any] = {"actor": actor.strip()[:64], "action": action.strip()[:64],
               "member": member.strip()[:20], "text": text.strip()[:100],
               "refused": refused == "1"}
    rows = audit.search(
        session, actor=filters["actor"], action=filters["action"],
        member_id=_number(filters["member"]), text=filters["text"],
        refused_only=filters["refused"], before_id=_number(before), limit=PAGE)
    names = audit.actions(session)
    counted = refusals.recent(session, now=wall_now())
    older = rows[-1].id if len(rows) == PAGE else None
    return render(request, "staff/audit.html", section="audit", rows=rows, filters=filters,
                  actions=names, older=older, counted=counted)
