"""Reading `SMTP_URL`: which connection, where, as whom. Pure (stdlib only), so that the
settings can check the URL at start-up without importing the mail adapter.

| URL | connection | default port |
|---|---|---|
| `smtps://user:pass@host:465` | TLS from the first byte (implicit TLS, RFC 8314) | 465 |
| `smtp+starttls://user:pass@host:587` | plain, then STARTTLS; refused if not offered | 587 |
| `smtp://host:25` | clear text: development, the embedded sink, a local relay | 25 |

User and password are percent-decoded (`p%40ss` is `p@ss`). Query parameters:
`timeout` (seconds, default 10) and `cafile` (a PEM bundle to trust instead of the
system's, for a private relay).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

Security = Literal["tls", "starttls", "plain"]
SCHEMES: dict[str, tuple[Security, int]] = {
    "smtps": ("tls", 465),
    "smtp+starttls": ("starttls", 587),
    "smtp": ("plain", 25),
}
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class SmtpTarget:
    security: Security
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    cafile: str | None = None

    @property
    def encrypted(self) -> bool:
        return self.security != "plain"

    def redacted(self) -> str:
        """The URL without the password, for logs and error messages."""
        scheme = next(s for s, (sec, _) in SCHEMES.items() if sec == self.security)
        user = f"{self.username}:***@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """Read an `SMTP_URL`; a `ValueError` says what is wrong (never echoing a password)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(f"SMTP_URL must start with {', '.join(s + '://' for s in SCHEMES)}"
                         f" (got {scheme or 'no scheme'!r})")
    security, default_port = SCHEMES[scheme]
    try:
        host, port = parts.hostname, parts.port or default_port
    except ValueError:
        raise ValueError("SMTP_URL has a port that is not a number from 1 to 65535") from None
    if not host:
        raise ValueError("SMTP_URL has no host")
    query = parse_qs(parts.query)
    unknown = set(query) - {"timeout", "cafile"}
    if unknown:
        raise ValueError(f"SMTP_URL has unknown parameters: {', '.join(sorted(unknown))}")
    try:
        timeout = float(query.get("timeout", [DEFAULT_TIMEOUT])[-1])
    except ValueError:
        raise ValueError("SMTP_URL timeout must be a number of seconds") from None
    if not 0 < timeout <= 300:
        raise ValueError("SMTP_URL timeout must be between 0 and 300 seconds")
    return SmtpTarget(
        security=security, host=host, port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        timeout=timeout, cafile=query.get("cafile", [None])[-1],
    )
