"""The applicant's follow-up token and the request's fingerprint.

The token answers `POST /v1/applications` and authorises every later call about that
application (`Authorization: Bearer <token>`). The database keeps its SHA-256
(`token_hash`, compared in constant time) and a 256-bit random nonce; the token itself
is an HMAC of the application id and the nonce under a key derived from the server's
pepper. So an idempotent replay of the same request can answer the very same token again
(the same answer, as the API promises), while reading the database alone is not enough
to produce it - as for the mail confirmation link (`services.mail.outbox.confirmation_token`).
The nonce is erased with the personal fields (a replay is then impossible anyway).

`request_hash` fingerprints the request for the Idempotency-Key check with a keyed hash
(HMAC under the pepper), not a bare SHA-256: the fingerprint of personal data must not
be something one can test guesses against.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict
from typing import Any

from shunfuri.services.members.tokens import digest

_TOKEN_CONTEXT = b"shunfuri application token v1"
_REQUEST_CONTEXT = b"shunfuri application request v1"


def _key(pepper: str, context: bytes) -> bytes:
    return hmac.new(pepper.encode(), context, hashlib.sha256).digest()


def new_nonce() -> str:
    return secrets.token_hex(32)


def token_for(pepper: str, application_id: str, nonce: str) -> str:
    mac = hmac.new(_key(pepper, _TOKEN_CONTEXT), f"{application_id}:{nonce}".encode(),
                   hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return digest(token)


def matches(token: str | None, stored_hash: str | None) -> bool:
    """Constant-time: whether `token` is the one whose hash is stored."""
    given = digest(token or "")
    return hmac.compare_digest(given, stored_hash or "0" * 64) and bool(stored_hash)


def request_hash(pepper: str, form: Any, email: str) -> str:
    """The fingerprint of an application's canonical values (a dataclass) and address."""
    canonical = json.dumps({**asdict(form), "email": email}, sort_keys=True, default=str,
                           ensure_ascii=False)
    return hmac.new(_key(pepper, _REQUEST_CONTEXT), canonical.encode(),
                    hashlib.sha256).hexdigest()
