"""Request and response bodies of the member's mail address and settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from api.schemas.common import Strict
from shunfuri.services.mail.settings import ADDRESS_SHAPE


def _days(value: Any) -> Any:
    # One of 0, 1, 3, 7 as JSON Schema's enum means it: 3.0 is 3; true is not 1.
    if isinstance(value, bool):
        raise ValueError("remind_days_before is a number of days: 0, 1, 3 or 7")
    return int(value) if isinstance(value, float) and value.is_integer() else value


DaysBefore = Annotated[Literal[0, 1, 3, 7], BeforeValidator(_days)]


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
    remind_days_before: DaysBefore | None = None
    notify_transfer_settled: bool | None = None
    notify_repayment_received: bool | None = None
    notify_overdue: bool | None = None


class MailAddressIn(Strict):
    address: str = Field(min_length=3, max_length=320, pattern=ADDRESS_SHAPE,
                         examples=["hanako@example.jp"])


class MailConfirmIn(Strict):
    token: str = Field(pattern=r"^[0-9a-f]{64}$", description="The t= of the mailed link")


class MailConfirmOut(BaseModel):
    address: str
