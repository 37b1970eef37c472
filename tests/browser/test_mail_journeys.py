"""メール設定 in a real browser against the running system: the whole address journey
through the mailed link, the settings, the transfer mail in the development mailbox —
each page checked with axe, and on a phone for sideways scrolling."""

from __future__ import annotations

from tests.browser import mail_journey


def test_mail_journey_on_a_pc(page, system, checked):
    mail_journey.walk(page, system, step=lambda _name: checked(page))


def test_mail_journey_on_a_phone(phone, system, checked):
    mail_journey.walk(phone, system, step=lambda _name: checked(phone, phone=True))
