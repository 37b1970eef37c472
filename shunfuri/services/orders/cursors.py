"""Page cursors of the member's lists (transfers, repayments): opaque to clients, the
position after a row by its (`accepted_at`, `id`), newest first."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from shunfuri.domain.instants import aware
from shunfuri.errors import ShunfuriError


def encode_cursor(t: Any) -> str:
    """A page cursor after row `t` (anything with `accepted_at` and `id`)."""
    raw = json.dumps([aware(t.accepted_at).isoformat(), t.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, transfer_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(stamp), str(transfer_id)
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise ShunfuriError(
            "validation_error:cursor",
            errors=[{"field": "cursor", "message": "invalid cursor"}],
        ) from None
