"""Sending mail over SMTP, configured by one URL (`SMTP_URL`).

| URL | connection | default port |
|---|---|---|
| `smtps://user:pass@host:465` | TLS from the first byte (implicit TLS, RFC 8314) | 465 |
| `smtp+starttls://user:pass@host:587` | plain, then STARTTLS; refused if not offered | 587 |
| `smtp://host:25` | clear text: development, the embedded sink, a local relay | 25 |

User and password are percent-decoded (`p%40ss` is `p@ss`). Query parameters:
`timeout` (seconds, default 10) and `cafile` (a PEM bundle to trust instead of the
system's, for a private relay). A TLS connection always verifies the certificate and the
host name. Production refuses a missing or clear-text URL unless told otherwise
(`Settings`).

`SmtpSender.send` opens a connection per message: mail is rare next to transfers, and a
fresh connection leaves no half-dead session between retries. Failures come out as two
types, like the bank gateway's: `MailTransient` (try again later with backoff: connection
refused, timeouts, 4xx, TLS or login trouble an operator can fix) and `MailPermanent`
(5xx for this message or recipient: retrying will not help).

SMTP itself cannot promise exactly once: when the connection drops after the message was
sent but before the server's reply, the sender cannot know. The message's `Message-ID` is
derived from its outbox key (`compose`), so a resend after such a loss carries the same id.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

Security = Literal["tls", "starttls", "plain"]
SCHEMES: dict[str, tuple[Security, int]] = {
    "smtps": ("tls", 465),
    "smtp+starttls": ("starttls", 587),
    "smtp": ("plain", 25),
}
DEFAULT_TIMEOUT = 10.0


class MailTransient(Exception):
    """Not sent, worth retrying later."""


class MailPermanent(Exception):
    """Refused for good (5xx for this message or its recipient)."""


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


class SmtpSender:
    def __init__(self, target: SmtpTarget) -> None:
        self.target = target

    @classmethod
    def from_url(cls, url: str) -> SmtpSender:
        return cls(parse_smtp_url(url))

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.target.cafile)

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        if t.security == "tls":
            return smtplib.SMTP_SSL(t.host, t.port, timeout=t.timeout,
                                    context=self._tls_context())
        client = smtplib.SMTP(t.host, t.port, timeout=t.timeout)
        if t.security == "starttls":
            client.ehlo()
            if not client.has_extn("starttls"):
                client.close()
                # Never fall back to clear text: the URL asked for TLS.
                raise MailTransient(f"{t.redacted()} does not offer STARTTLS; not sent")
            client.starttls(context=self._tls_context())
            client.ehlo()
        return client

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the server (envelope from its From / To headers)."""
        t = self.target
        try:
            client = self._connect()
            try:
                if t.username:
                    client.login(t.username, t.password or "")
                client.send_message(message)
            finally:
                try:
                    client.quit()
                except (OSError, smtplib.SMTPException):
                    client.close()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise MailPermanent(f"recipient refused by {t.redacted()}: {codes}") from None
            raise MailTransient(f"recipient deferred by {t.redacted()}: {codes}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise MailTransient(f"login to {t.redacted()} failed ({exc.smtp_code}); "
                                "check the SMTP_URL credentials") from None
        except smtplib.SMTPResponseException as exc:
            kind = MailPermanent if 500 <= exc.smtp_code < 600 else MailTransient
            raise kind(f"{t.redacted()} answered {exc.smtp_code}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailTransient(f"{t.redacted()}: {type(exc).__name__}: {exc}") from None
