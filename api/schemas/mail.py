"""Request and response bodies of the member's mail address and settings."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Strict


class MailSettingsOut(BaseModel):
    """`address` is the confirmed address mail goes to (null until one is confirmed);
    `pending_address` waits for its confirmation link (24 h)."""

    address: str | None
    pending_address: str | None
    pending_expires_at: datetime | None
    remind: bool = Field(description="返済日のお知らせ: the repayment-date reminder")
    remind_days_before: Literal[0, 1, 3, 7] = Field(
        description="How many days before the due date the reminder goes out (08:00 JST)")
    notify_transfer_settled: bool
    notify_repayment_received: bool
    notify_overdue: bool


class MailSettingsIn(Strict):
    """Any of the four settings; those left out stay as they are."""

    remind: bool | None = None
    remind_days_before: Literal[0, 1, 3, 7] | None = None
    notify_transfer_settled: bool | None = None
    notify_repayment_received: bool | None = None
    notify_overdue: bool | None = None


class MailAddressIn(Strict):
    address: str = Field(min_length=3, max_length=320, examples=["hanako@example.jp"])


class MailConfirmIn(Strict):
    token: str = Field(min_length=1, max_length=128)


class MailConfirmOut(BaseModel):
    address: str
