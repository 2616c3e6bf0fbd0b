# SPDX-License-Identifier: AGPL-3.0-or-later
"""Spending a voucher in parts, undoing and refunding, and money credited after expiry."""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID, uuid4

import pytest

from downtown_events.contract import IntegrationEvent
from downtown_events.vouchers import (
    VoucherExpired,
    VoucherIssued,
    VoucherRedeemed,
    VoucherRedemptionReversed,
    VoucherRefunded,
)
from vouchers.api.schemas import BalanceOut, VoucherOut
from vouchers.domain import voucher
from vouchers.domain.balance import expire, redeem, refund, reverse_redemption
from vouchers.domain.errors import (
    InsufficientBalance,
    InvalidChange,
    NotAllowed,
    NotFound,
    NotYetKnown,
    RequestIdReused,
    VoucherHasExpired,
)
from vouchers.domain.merchant_standing import Approval, MerchantStanding, MerchantStatus
from vouchers.domain.private_events import VoucherRefundReasonRecorded, VoucherReversalReasonRecorded

TODAY = date(2027, 5, 1)
LAST_DAY = date(2029, 12, 31)
SHOP = MerchantStanding(uuid4(), "Café Extrablatt", "active", "approved")
OTHER = MerchantStanding(uuid4(), "Blumen Meyer", "active", "approved")


def issued(paid: int = 3000, bonus: int = 600, kind: str = "town") -> voucher.Voucher:
    merchant_id = SHOP.merchant_id if kind == "merchant" else None
    state = voucher.replay(
        [
            VoucherIssued(
                voucher_id=uuid4(),
                purchase_id=uuid4(),
                programme_id=uuid4(),
                kind=kind,  # type: ignore[arg-type]
                merchant_id=merchant_id,
                value_cents=paid + bonus,
                paid_cents=paid,
                bonus_cents=bonus,
                expires_on=LAST_DAY,
            )
        ]
    )
    assert state is not None
    return state


def apply(state: voucher.Voucher, events: list[IntegrationEvent]) -> voucher.Voucher:
    for event in events:
        state = voucher.evolve(state, event)
    return state


def spend(state: voucher.Voucher, amount: int, today: date = TODAY) -> tuple[voucher.Voucher, UUID]:
    redemption_id = uuid4()
    events = redeem(
        state, redemption_id=redemption_id, merchant=SHOP, amount_cents=amount, today=today, merchant_accepts=True
    )
    return apply(state, events), redemption_id


def test_a_partial_redemption_spends_the_buyers_money_first() -> None:
    state = issued(paid=3000, bonus=600)
    redemption_id, order_id = uuid4(), uuid4()
    (event,) = redeem(
        state,
        redemption_id=redemption_id,
        merchant=SHOP,
        amount_cents=1200,
        today=TODAY,
        merchant_accepts=True,
        channel="order",
        order_id=order_id,
    )
    assert event == VoucherRedeemed(
        voucher_id=state.voucher_id,
        merchant_id=SHOP.merchant_id,
        amount_cents=1200,
        paid_part_cents=1200,
        bonus_part_cents=0,
        balance_after_cents=2400,
        redemption_id=redemption_id,
        channel="order",
        order_id=order_id,
    )
    state = voucher.evolve(state, event)
    (second,) = redeem(
        state, redemption_id=uuid4(), merchant=SHOP, amount_cents=2000, today=TODAY, merchant_accepts=True
    )
    assert isinstance(second, VoucherRedeemed)
    assert (second.paid_part_cents, second.bonus_part_cents, second.balance_after_cents) == (1800, 200, 400)
    state = voucher.evolve(state, second)
    assert (state.paid_balance_cents, state.bonus_balance_cents, state.redeemed_cents) == (0, 400, 3200)


def test_the_whole_balance_may_be_spent_but_not_a_cent_more() -> None:
    state = issued(paid=1000, bonus=0)
    state, _ = spend(state, 250)
    with pytest.raises(InsufficientBalance, match=re.escape("the voucher's balance is €7.50")):
        spend(state, 751)
    state, _ = spend(state, 750)
    assert state.balance_cents == 0
    with pytest.raises(InsufficientBalance, match=re.escape("€0.00")):
        spend(state, 1)
    with pytest.raises(InvalidChange, match="positive"):
        spend(issued(), 0)


def test_a_voucher_is_redeemable_through_its_last_day_only() -> None:
    state, _ = spend(issued(), 100, today=LAST_DAY)
    with pytest.raises(VoucherHasExpired, match="valid through 2029-12-31"):
        spend(state, 100, today=date(2030, 1, 1))


def test_a_retried_redemption_decides_nothing_and_a_reused_id_is_refused() -> None:
    state, redemption_id = spend(issued(), 500)
    again = dict(redemption_id=redemption_id, merchant=SHOP, today=TODAY, merchant_accepts=True)
    assert redeem(state, amount_cents=500, **again) == []  # type: ignore[arg-type]
    spent = apply(
        state,
        redeem(
            state,
            redemption_id=uuid4(),
            merchant=SHOP,
            amount_cents=state.balance_cents,
            today=TODAY,
            merchant_accepts=True,
        ),
    )
    assert redeem(spent, amount_cents=500, **{**again, "today": date(2031, 1, 1)}) == []  # type: ignore[arg-type]
    with pytest.raises(RequestIdReused, match="new id"):
        redeem(state, amount_cents=600, **again)  # type: ignore[arg-type]
    with pytest.raises(RequestIdReused):
        redeem(state, amount_cents=500, **{**again, "merchant": OTHER})  # type: ignore[arg-type]


def test_a_merchant_voucher_is_redeemable_at_its_merchant_only() -> None:
    state = issued(kind="merchant")
    assert redeem(state, redemption_id=uuid4(), merchant=SHOP, amount_cents=100, today=TODAY)
    with pytest.raises(NotAllowed, match="another merchant's voucher"):
        redeem(state, redemption_id=uuid4(), merchant=OTHER, amount_cents=100, today=TODAY, merchant_accepts=True)


def test_a_town_voucher_is_redeemable_where_the_merchant_accepts_the_programme() -> None:
    state = issued(kind="town")
    assert redeem(state, redemption_id=uuid4(), merchant=OTHER, amount_cents=100, today=TODAY, merchant_accepts=True)
    with pytest.raises(NotAllowed, match="not joined"):
        redeem(state, redemption_id=uuid4(), merchant=OTHER, amount_cents=100, today=TODAY, merchant_accepts=False)


def test_a_shut_shop_redeems_a_suspended_or_unknown_merchant_does_not() -> None:
    state = issued(kind="town")
    closed = MerchantStanding(uuid4(), "Zu", "closed", "approved")
    assert redeem(state, redemption_id=uuid4(), merchant=closed, amount_cents=100, today=TODAY, merchant_accepts=True)
    suspended = MerchantStanding(uuid4(), "Gesperrt", "suspended", "approved")
    with pytest.raises(NotAllowed, match="suspended"):
        redeem(state, redemption_id=uuid4(), merchant=suspended, amount_cents=100, today=TODAY, merchant_accepts=True)
    with pytest.raises(NotYetKnown):
        redeem(
            state,
            redemption_id=uuid4(),
            merchant=MerchantStanding.unknown(uuid4()),
            amount_cents=100,
            today=TODAY,
            merchant_accepts=True,
        )


def test_an_order_redemption_names_its_order() -> None:
    with pytest.raises(InvalidChange, match="names the order"):
        redeem(
            issued(),
            redemption_id=uuid4(),
            merchant=SHOP,
            amount_cents=100,
            today=TODAY,
            merchant_accepts=True,
            channel="order",
        )


def test_an_orders_redemption_is_given_back_by_the_order_saga_only() -> None:
    """Reversed or refunded over the counter, the order would still count as paid by voucher
    while the money was back on the voucher (the rest of the order then due from nobody)."""
    state, order_id = issued(), uuid4()
    redemption_id = uuid4()
    state = apply(
        state,
        redeem(
            state,
            redemption_id=redemption_id,
            merchant=SHOP,
            amount_cents=1500,
            today=TODAY,
            merchant_accepts=True,
            channel="order",
            order_id=order_id,
        ),
    )
    for by in (None, SHOP):  # the association, the merchant
        with pytest.raises(InvalidChange, match=f"pays order {order_id}.*cancel the order"):
            reverse_redemption(state, redemption_id=redemption_id, today=TODAY, by=by)
    with pytest.raises(InvalidChange, match=f"pays order {order_id}"):
        refund(state, refund_id=uuid4(), redemption_id=redemption_id, amount_cents=500, today=TODAY)
    with pytest.raises(InvalidChange, match=f"pays order {order_id}"):  # not for another order either
        reverse_redemption(state, redemption_id=redemption_id, today=TODAY, order_id=uuid4())
    (reversed_,) = reverse_redemption(state, redemption_id=redemption_id, today=TODAY, order_id=order_id)
    assert isinstance(reversed_, VoucherRedemptionReversed) and reversed_.amount_cents == 1500


def test_reversing_a_redemption_gives_its_parts_back_once() -> None:
    state, _ = spend(issued(paid=3000, bonus=600), 1000)
    state, redemption_id = spend(state, 2200)  # 2000 paid, 200 bonus
    event, why = reverse_redemption(state, redemption_id=redemption_id, today=TODAY, reason="Bestellung abgelehnt")
    assert event == VoucherRedemptionReversed(
        voucher_id=state.voucher_id,
        merchant_id=SHOP.merchant_id,
        amount_cents=2200,
        paid_part_cents=2000,
        bonus_part_cents=200,
        balance_after_cents=2600,
        redemption_id=redemption_id,
    )
    assert event.reason == ""  # the public event carries no typed word; the private one does
    assert why == VoucherReversalReasonRecorded(
        voucher_id=state.voucher_id, redemption_id=redemption_id, reason="Bestellung abgelehnt"
    )
    state = apply(state, [event, why])
    assert (state.paid_balance_cents, state.bonus_balance_cents, state.reversed_cents) == (2000, 600, 2200)
    assert reverse_redemption(state, redemption_id=redemption_id, today=TODAY) == []
    with pytest.raises(InvalidChange, match="reversed as a whole"):
        refund(state, refund_id=uuid4(), redemption_id=redemption_id, amount_cents=100, today=TODAY)


def test_a_reversal_after_a_refund_gives_back_only_what_is_left() -> None:
    state, redemption_id = spend(issued(paid=1000, bonus=500), 1500)
    state = apply(state, refund(state, refund_id=uuid4(), redemption_id=redemption_id, amount_cents=700, today=TODAY))
    (event,) = reverse_redemption(state, redemption_id=redemption_id, today=TODAY)
    assert isinstance(event, VoucherRedemptionReversed)
    assert (event.amount_cents, event.paid_part_cents, event.bonus_part_cents) == (800, 800, 0)
    state = voucher.evolve(state, event)
    assert state.balance_cents == 1500
    fully_refunded, whole = spend(issued(), 300)
    fully_refunded = apply(
        fully_refunded, refund(fully_refunded, refund_id=uuid4(), redemption_id=whole, amount_cents=300, today=TODAY)
    )
    assert reverse_redemption(fully_refunded, redemption_id=whole, today=TODAY) == []


def test_a_refund_credits_the_bonus_part_first_up_to_what_is_left() -> None:
    state, redemption_id = spend(issued(paid=1000, bonus=500), 1300)  # 1000 paid, 300 bonus
    refund_id = uuid4()
    reason = "Ware zurück, Code 7KQM-X2PA-5HJN-R8WT-CE3D, anna@example.de"
    event, why = refund(
        state, refund_id=refund_id, redemption_id=redemption_id, amount_cents=400, today=TODAY, reason=reason
    )
    assert event == VoucherRefunded(
        voucher_id=state.voucher_id,
        merchant_id=SHOP.merchant_id,
        amount_cents=400,
        paid_part_cents=100,
        bonus_part_cents=300,
        balance_after_cents=600,
        refund_id=refund_id,
        redemption_id=redemption_id,
    )
    assert event.reason == "" and event.published and not why.published
    assert why == VoucherRefundReasonRecorded(voucher_id=state.voucher_id, refund_id=refund_id, reason=reason)
    state = apply(state, [event, why])
    assert (state.paid_balance_cents, state.bonus_balance_cents) == (100, 500)
    with pytest.raises(InvalidChange, match=re.escape("at most €9.00")):
        refund(state, refund_id=uuid4(), redemption_id=redemption_id, amount_cents=901, today=TODAY)
    (rest,) = refund(state, refund_id=uuid4(), redemption_id=redemption_id, amount_cents=900, today=TODAY)
    assert isinstance(rest, VoucherRefunded) and (rest.paid_part_cents, rest.bonus_part_cents) == (900, 0)


def test_a_retried_refund_decides_nothing_and_a_reused_refund_id_is_refused() -> None:
    state, redemption_id = spend(issued(), 1000)
    refund_id = uuid4()
    state = apply(state, refund(state, refund_id=refund_id, redemption_id=redemption_id, amount_cents=300, today=TODAY))
    assert refund(state, refund_id=refund_id, redemption_id=redemption_id, amount_cents=300, today=TODAY) == []
    with pytest.raises(RequestIdReused):
        refund(state, refund_id=refund_id, redemption_id=redemption_id, amount_cents=200, today=TODAY)


def test_only_the_redeeming_merchant_sees_its_redemption() -> None:
    state, redemption_id = spend(issued(), 1000)
    with pytest.raises(NotFound, match="no such redemption"):
        reverse_redemption(state, redemption_id=redemption_id, today=TODAY, by=OTHER)
    with pytest.raises(NotFound):
        refund(state, refund_id=uuid4(), redemption_id=redemption_id, amount_cents=1, today=TODAY, by=OTHER)
    with pytest.raises(NotFound):
        reverse_redemption(state, redemption_id=uuid4(), today=TODAY)
    assert reverse_redemption(state, redemption_id=redemption_id, today=TODAY, by=SHOP)


@pytest.mark.parametrize(
    ("status", "approval", "words"),
    [
        ("suspended", "approved", "suspended"),
        ("active", "withdrawn", "withdrew its approval"),
        ("active", "none", "not approved"),
    ],
)
def test_a_merchant_that_may_not_act_with_money_gives_nothing_back_the_association_still_does(
    status: MerchantStatus, approval: Approval, words: str
) -> None:
    """A suspended merchant (or one the association no longer vouches for) could otherwise
    credit money back to a voucher it redeemed and redeem it again elsewhere."""
    state, redemption_id = spend(issued(), 1000)
    barred = MerchantStanding(SHOP.merchant_id, SHOP.name, status, approval)
    with pytest.raises(NotAllowed, match=words):
        reverse_redemption(state, redemption_id=redemption_id, today=TODAY, by=barred)
    with pytest.raises(NotAllowed, match=words):
        refund(state, refund_id=uuid4(), redemption_id=redemption_id, amount_cents=100, today=TODAY, by=barred)
    assert refund(state, refund_id=uuid4(), redemption_id=redemption_id, amount_cents=100, today=TODAY)
    assert reverse_redemption(state, redemption_id=redemption_id, today=TODAY)


def test_money_credited_to_an_expired_voucher_becomes_breakage_at_once() -> None:
    state, redemption_id = spend(issued(paid=3000, bonus=600), 3300)  # 3000 paid, 300 bonus; 300 bonus left
    after = date(2030, 1, 1)
    state = apply(state, expire(state, today=after))
    assert (state.balance_cents, state.breakage_cents) == (0, 300)
    credit, breakage = refund(state, refund_id=uuid4(), redemption_id=redemption_id, amount_cents=500, today=after)
    assert isinstance(credit, VoucherRefunded) and credit.balance_after_cents == 500
    assert breakage == VoucherExpired(
        voucher_id=state.voucher_id,
        expired_on=after,
        breakage_cents=500,
        paid_breakage_cents=200,
        bonus_breakage_cents=300,
    )
    state = apply(state, [credit, breakage])
    assert (state.balance_cents, state.breakage_cents) == (0, 800)
    reversal, rest = reverse_redemption(state, redemption_id=redemption_id, today=date(2030, 2, 1))
    assert isinstance(rest, VoucherExpired) and rest.breakage_cents == reversal.amount_cents == 2800  # type: ignore[attr-defined]
    state = apply(state, [reversal, rest])
    assert (state.balance_cents, state.breakage_cents) == (0, 3600)  # all of it, as nobody can spend it now
    spent = state.redeemed_cents - state.reversed_cents - state.refunded_cents
    assert state.value_cents == state.balance_cents + spent + state.breakage_cents


def test_a_credit_past_validity_before_the_expiry_job_turns_the_whole_balance_into_breakage() -> None:
    state, redemption_id = spend(issued(paid=1000, bonus=0), 400)
    credit, breakage = refund(
        state, refund_id=uuid4(), redemption_id=redemption_id, amount_cents=100, today=date(2030, 1, 5)
    )
    assert isinstance(credit, VoucherRefunded) and isinstance(breakage, VoucherExpired)
    assert breakage.breakage_cents == 700 and expire(apply(state, [credit, breakage]), today=date(2030, 1, 6)) == []


def test_a_voucher_and_its_balance_read_out_name_its_programme_once() -> None:
    """The balance look-up and the voucher's page share their fields: the programme (which a
    checkout asks for its members) is the balance's, written once (a second keyword was a 500)."""
    bought = issued()
    balance = BalanceOut.of(bought, TODAY)
    read = VoucherOut.of_voucher(bought, TODAY)
    assert balance.programme_id == read.programme_id == bought.programme_id
    assert read.balance_cents == balance.balance_cents == 3600
