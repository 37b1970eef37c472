"""The embedded SMTP sink: a real SMTP server (aiosmtpd) that keeps every message it is
given in a Maildir under the data folder, and reading them back.

`shunfuri up` points `SMTP_URL` at it by default, so a developer sees every mail the
system sends without an account anywhere: `shunfuri mail` lists them and prints one. A
Maildir (one file a message, written atomically by the standard `mailbox` module) is what
aiosmtpd's `Mailbox` handler writes and what any mail client can open.

Run alone: `python -m shunfuri.mail.sink DIR [--host H] [--port P]`.
"""

from __future__ import annotations

import argparse
import asyncio
import mailbox
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

from shunfuri.domain.instants import to_jst

MAILDIR = "mail"  # under the data folder


def maildir_path(data_dir: Path) -> Path:
    return Path(data_dir) / MAILDIR


class _Controller(Controller):
    """aiosmtpd's thread controller, able to listen on port 0 (a free port): it pokes the
    server once started, and must know the port the system picked to do so."""

    def _trigger_server(self) -> None:
        if self.server is not None and self.port == 0:
            # (an asyncio.Server, which aiosmtpd types as the AbstractServer it is)
            self.port = cast(asyncio.Server, self.server).sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class Sink:
    controller: Controller
    maildir: Path

    @property
    def url(self) -> str:
        return f"smtp://{self.controller.hostname}:{self.controller.port}"

    def stop(self) -> None:
        self.controller.stop()


def start_server(handler: Any, host: str = "127.0.0.1", port: int = 0,
                 **server_options: Any) -> Controller:
    """An aiosmtpd server for `handler` in a background thread; `port=0` picks a free
    port (read it back from `.port`). `server_options` go to aiosmtpd (e.g. `ssl_context`
    for implicit TLS, `tls_context` for STARTTLS, `authenticator`)."""
    controller = _Controller(handler, hostname=host, port=port, **server_options)
    controller.start()
    return controller


def start_sink(maildir: Path, host: str = "127.0.0.1", port: int = 0,
               **server_options: Any) -> Sink:
    """Start the sink: every message it accepts is added to the Maildir `maildir`."""
    maildir = Path(maildir)
    # mailbox.Maildir creates tmp/new/cur only when the folder itself is new.
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    return Sink(start_server(Mailbox(maildir), host, port, **server_options), maildir)


@contextmanager
def running_sink(maildir: Path, host: str = "127.0.0.1", port: int = 0,
                 **server_options: Any) -> Iterator[Sink]:
    sink = start_sink(maildir, host, port, **server_options)
    try:
        yield sink
    finally:
        sink.stop()


@dataclass(frozen=True)
class KeptMail:
    key: str
    received_at: datetime
    to: str
    subject: str
    kind: str
    message: EmailMessage

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


def kept_mail(maildir: Path) -> list[KeptMail]:
    """Every message the sink kept, oldest first (by delivery time, then key)."""
    if not (Path(maildir) / "cur").is_dir():
        return []
    box = mailbox.Maildir(maildir, factory=None, create=False)
    out = []
    parse = BytesParser(policy=policy.default).parsebytes
    for key in box.iterkeys():
        raw = box.get_bytes(key)
        message = parse(raw)
        assert isinstance(message, EmailMessage)
        received = datetime.fromtimestamp(box.get_message(key).get_date(), UTC)
        out.append(KeptMail(key, received, str(message.get("To", "")),
                            str(message.get("Subject", "")),
                            str(message.get("X-Shunfuri-Kind", "")), message))
    out.sort(key=lambda m: (m.received_at, m.key))
    return out


def format_listing(mails: list[KeptMail]) -> str:
    """One line a message: number, received (JST), kind, to, subject."""
    if not mails:
        return "no mail kept yet"
    lines = []
    for n, mail in enumerate(mails, 1):
        when = to_jst(mail.received_at).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{n:>4}  {when}  {mail.kind or '-':<22}  {mail.to}  {mail.subject}")
    return "\n".join(lines)


def format_message(mail: KeptMail) -> str:
    """The headers a reader cares about, then the plain-text part."""
    headers = ("Date", "From", "To", "Subject", "Message-ID", "List-Unsubscribe")
    head = [f"{name}: {mail.message[name]}" for name in headers if mail.message[name]]
    return "\n".join([*head, "", mail.text()])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Keep every mail sent to this SMTP server.")
    parser.add_argument("maildir", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with running_sink(args.maildir, args.host, args.port) as sink:
        print(f"SMTP sink on {sink.url}, keeping mail in {sink.maildir}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
