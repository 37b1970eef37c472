"""Sending mail over SMTP, to the server `SMTP_URL` names (`shunfuri.smtp_url`: smtps://,
smtp+starttls:// or smtp://). A TLS connection always verifies the certificate and the host
name, and STARTTLS is never given up for clear text. Production refuses a missing or
clear-text URL unless told otherwise (`Settings`).

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
from email.message import EmailMessage

from shunfuri.smtp_url import SmtpTarget, parse_smtp_url


class MailTransient(Exception):
    """Not sent, worth retrying later."""


class MailPermanent(Exception):
    """Refused for good (5xx for this message or its recipient)."""


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
