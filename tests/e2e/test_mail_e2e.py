"""`shunfuri up` mails through its own SMTP sink when no SMTP_URL is set, and `shunfuri
mail` reads what it kept: the real processes (API, worker, beat, sink)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import new_member
from tests.system import poll, running_system

pytestmark = pytest.mark.e2e


def test_up_keeps_mail_and_shunfuri_mail_lists_and_prints_it() -> None:
    with running_system() as system:
        children = system.env_of_children()
        assert children["SMTP_URL"].startswith("smtp://127.0.0.1:")
        member = new_member(system)
        r = system.http.put("/v1/me/mail/address", json={"address": "hanako@example.jp"},
                            headers=member["headers"])
        assert r.status_code == 202, r.text
        data = ("--data-dir", str(system.data_dir))

        def listed() -> str | None:
            out = system.cli("mail", *data).stdout
            return out if "address_confirmation" in out else None

        listing = poll(listed, timeout=60, interval=0.5, what="the confirmation mail kept")
        assert "hanako@example.jp" in listing and "【瞬フリ】メールアドレスのご確認" in listing
        printed = system.cli("mail", "1", *data)
        assert printed.returncode == 0, printed.stderr
        assert "Subject: 【瞬フリ】メールアドレスのご確認" in printed.stdout
        token = re.search(r"/mail/confirm\?t=([0-9a-f]+)", printed.stdout).group(1)
        assert system.http.post("/v1/mail/confirm", json={"token": token}).status_code == 200
        outbox = system.cli("mail", "--outbox", *data)
        assert '"kind": "address_confirmation", "status": "sent", "count": 1' in outbox.stdout
        missing = system.cli("mail", "9", *data)
        assert missing.returncode == 2 and "no message 9" in missing.stderr
