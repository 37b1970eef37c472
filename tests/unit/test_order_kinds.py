"""One model of an order's kind (`services.orders.kinds`): each order table has exactly
one kind, and what the pass, the doubts and the staff pages need comes from it."""

from __future__ import annotations

import pytest

from shunfuri.db.models import Repayment, Transfer
from shunfuri.errors import ShunfuriError
from shunfuri.services import effects
from shunfuri.services.orders import kinds, sending


def test_each_order_table_has_one_kind() -> None:
    assert kinds.of(Transfer()) is kinds.TRANSFER
    assert kinds.of(Repayment()) is kinds.REPAYMENT
    assert {k.model for k in kinds.KINDS.values()} == {Transfer, Repayment}
    assert len({k.path for k in kinds.KINDS.values()}) == len(kinds.KINDS)


def test_sending_names_and_shows_an_order_by_its_kind() -> None:
    t = Transfer(id="t-1", status="processing", amount=1000, payee_id=1)
    r = Repayment(id="r-1", status="processing", amount=1000, payee_id=1)
    assert sending.noun(t) == "transfer" and sending.noun(r) == "repayment"
    assert sending.view(t) == kinds.TRANSFER.view(t)
    assert sending.view(r) == kinds.REPAYMENT.view(r)


def test_only_transfers_wait_out_a_real_time_banks_maintenance() -> None:
    assert kinds.TRANSFER.guard_maintenance and not kinds.REPAYMENT.guard_maintenance


def test_each_kind_wakes_its_own_workers() -> None:
    assert kinds.TRANSFER.wake == effects.Drain("instant")
    assert kinds.REPAYMENT.wake == effects.Task("repayments.drain", queue="instant")


def test_an_unknown_kind_is_not_found() -> None:
    assert kinds.named("repayment") is kinds.REPAYMENT
    with pytest.raises(ShunfuriError) as refused:
        kinds.named("loan")
    assert refused.value.code == "not_found"
