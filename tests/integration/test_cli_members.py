"""`shunfuri member add`: a member made at the command line can log in with the card."""

from __future__ import annotations

import json

from typer.testing import CliRunner


def test_member_add_then_log_in(client):
    import shunfuri.cli.members  # noqa: F401 - registers `member add`
    from shunfuri.cli.main import app

    done = CliRunner().invoke(app, ["member", "add", "--credit-limit", "200000", "--pin", "２５８０"])
    assert done.exit_code == 0, done.output
    made = json.loads(done.output.strip().splitlines()[-1])
    login = client.post("/v1/login", json={"card_number": made["card_number"], "pin": "2580"})
    assert login.status_code == 200
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert me.json()["credit_limit"] == 200_000


def test_member_add_refuses_a_bad_pin(client):
    import shunfuri.cli.members  # noqa: F401
    from shunfuri.cli.main import app

    done = CliRunner().invoke(app, ["member", "add", "--pin", "12"])
    assert done.exit_code == 2 and "validation_error" in done.output
