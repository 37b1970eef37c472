"""What uvicorn's access log may print of a request line. The staff console never puts
a card number in a URL (its search is a POST), but a link typed by hand, an old
bookmark or a tool might: so the query string of every `/staff` path is dropped, and any
run of 12 or more digits in a logged path is masked down to its last 4, as a card
number is everywhere else (`card_last4`). The applicant's pages (`/shindan`, `/apply`)
send everything in POST bodies, never in a query string; a query string there anyway (a
form rebuilt by hand as a GET) could only carry what an applicant typed, so it is
dropped too."""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
_LONG_NUMBER = re.compile(r"[0-9]{8,}([0-9]{4})")
_QUERY_NOT_LOGGED = ("/staff/", "/staff?", "/shindan", "/apply")


def masked(path: str) -> str:
    if path.startswith(_QUERY_NOT_LOGGED) and "?" in path:
        path = path.split("?", 1)[0] + "?[query not logged]"
    return _LONG_NUMBER.sub(r"****\1", path)


class MaskPaths(logging.Filter):
    """uvicorn logs `'%s - "%s %s HTTP/%s" %d'` with the path (and query) third."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], masked(args[2]), *args[3:])
        return True


def install() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, MaskPaths) for f in logger.filters):
        logger.addFilter(MaskPaths())
