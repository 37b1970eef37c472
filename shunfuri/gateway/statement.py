"""Reading the bank's statement over HTTP (`GET /v1/statements`, `GET
/v1/statements/{day}?after=&limit=`): the wire's words to `StatementLine`s, nothing taken
on trust. A line or page we cannot read makes the whole statement unreadable
(TransientBankError): a reconciliation that skipped a line would report money missing
that is not, or miss money that is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

from shunfuri.gateway.base import StatementLine, TransientBankError

PAGE = 5000  # lines per page asked for (the most the simulator serves)
ATTEMPTS = 3  # a page is a read: asked again at once after a transient failure
_KINDS = {"payment", "collection"}

GetJson = Callable[[str, dict], dict]  # (path, query) -> the answer's JSON object


def days(get: GetJson) -> list[date]:
    body = _asked(get, "/v1/statements", {})
    found = body.get("days")
    if not isinstance(found, list):
        raise TransientBankError("the bank's statement days are not a list")
    try:
        return [date.fromisoformat(d) for d in found]
    except (TypeError, ValueError) as exc:
        raise TransientBankError("the bank's statement days are not dates") from exc


def lines(get: GetJson, day: date) -> Iterator[StatementLine]:
    after: str | None = None
    while True:
        query = {"limit": PAGE, **({"after": after} if after is not None else {})}
        body = _asked(get, f"/v1/statements/{day.isoformat()}", query)
        page, following = body.get("lines"), body.get("next")
        if not isinstance(page, list) or not (following is None or isinstance(following, str)):
            raise TransientBankError(f"the bank's statement page of {day} is unreadable")
        yield from (_line(item, day) for item in page)
        if following is None:
            return
        if following == after or not page:
            raise TransientBankError(f"the bank's statement of {day} does not move on")
        after = following


def _asked(get: GetJson, path: str, query: dict) -> dict:
    for attempt in range(ATTEMPTS):
        try:
            return get(path, query)
        except TransientBankError:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _line(item: object, day: date) -> StatementLine:
    if not isinstance(item, dict):
        raise TransientBankError(f"a line of the bank's statement of {day} is not an object")
    kind, order_id, amount = item.get("kind"), item.get("id"), item.get("amount")
    bank_code, status = item.get("bank_code"), item.get("status")
    whole = isinstance(amount, int) and not isinstance(amount, bool)
    texts = all(isinstance(v, str) for v in (order_id, bank_code, status))
    if kind not in _KINDS or not whole or not texts:
        raise TransientBankError(f"a line of the bank's statement of {day} is unreadable")
    code, reference = item.get("code"), item.get("reference")
    return StatementLine(
        kind=kind, order_id=order_id, amount=amount, bank_code=bank_code,  # type: ignore[arg-type]
        status=status, code=code if isinstance(code, str) else None,  # type: ignore[arg-type]
        reference=reference if isinstance(reference, str) else None,
    )
