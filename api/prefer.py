"""The `Prefer: wait=N` request header (RFC 7240 §4.3), as `POST /v1/transfers` honours it.

A preference is a hint: one this API cannot use (malformed, zero, another preference) is
ignored, never refused. A wait longer than `MAX_WAIT` is shortened to it, and
`Preference-Applied` says which wait was used.
"""

from __future__ import annotations

MAX_WAIT = 30


def wait_seconds(header: str | None) -> int | None:
    """The seconds `Prefer` asks to wait (at most MAX_WAIT), or None: no usable `wait`."""
    if not header:
        return None
    for preference in header.split(","):
        # `wait=10`, `wait="10"`; parameters after `;` do not apply to `wait`.
        name, _, value = preference.split(";", 1)[0].partition("=")
        if name.strip().lower() != "wait":
            continue
        value = value.strip().strip('"')
        if not value.isascii() or not value.isdigit():
            return None
        seconds = min(int(value[:6]), MAX_WAIT)
        return seconds or None
    return None


def applied(seconds: int) -> dict[str, str]:
    return {"Preference-Applied": f"wait={seconds}"}
