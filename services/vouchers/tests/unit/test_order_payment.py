# SPDX-License-Identifier: AGPL-3.0-or-later
"""An order's voucher part: authorising a voucher, paying orders from it (or refusing them,
with the reason), giving back what an ended order took, and redeliveries deciding nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    Fulfilment,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    OrderRejected,
    Payment,
)
from downtown_events.vouchers import VoucherIssued, VoucherPaymentRefused, VoucherRedeemed, VoucherRedemptionReversed
from vouchers.domain import authorization as authorizations
from vouchers.domain import order_payment
from vouchers.domain import voucher as vouchers
from vouchers.domain.authorization import NO_AUTHORIZATION, Authorization
from vouchers.domain.errors import (
    AlreadyExists,
    InsufficientBalance,
    InvalidChange,
    NotFound,
    NotYetKnown,
    VoucherHasExpired,
)
from vouchers.domain.merchant_standing import MerchantStanding
from vouchers.domain.order_payment import Decision, OrderVoucherPart
from vouchers.domain.private_events import (
    OrderVoucherPartTaken,
    VoucherAuthorizationReleased,
    VoucherAuthorizationUsed,
    VoucherPaymentAuthorized,
    VoucherReversalReasonRecorded,
)
from vouchers.domain.voucher import Voucher

NOW = datetime(2027, 5, 1, 10, 0, tzinfo=UTC)
TODAY = date(2027, 5, 1)
LAST_DAY = date(2029, 12, 31)
SHOP = MerchantStanding(uuid4(), "Café Extrablatt", "active", "approved")
OTHER_SHOP = MerchantStanding(uuid4(), "Blumen Meyer", "active", "approved")


def issued(paid: int = 3000, bonus: int = 600, expires_on: date = LAST_DAY) -> Voucher:
    state = vouchers.replay(
        [
            VoucherIssued(
                voucher_id=uuid4(),
                purchase_id=uuid4(),
                programme_id=uuid4(),
                kind="town",
                merchant_id=None,
                value_cents=paid + bonus,
                paid_cents=paid,
                bonus_cents=bonus,
                expires_on=expires_on,
            )
        ]
    )
    assert state is not None
    return state


def authorized(voucher: Voucher, cents: int, valid_for: timedelta = timedelta(hours=1)) -> Authorization:
    events = authorizations.authorize(
        None,
        authorization_id=uuid4(),
        voucher=voucher,
        amount_cents=cents,
        now=NOW,
        valid_for=valid_for,
        today=TODAY,
    )
    state = authorizations.replay(events)
    assert state is not None
    return state


def placed(
    authorization_id: UUID | None,
    cents: int,
    *,
    checkout_id: UUID | None = None,
    merchant: MerchantStanding = SHOP,
    total: int = 10_000,
) -> OrderPlaced:
    return OrderPlaced(
        order_id=uuid4(),
        checkout_id=checkout_id or uuid4(),
        merchant_id=merchant.merchant_id,
        lines=[
            OrderLine(
                offer_id=uuid4(), kind="product", title="Kuchen", quantity=1, unit_price_cents=total, vat_rate_percent=7
            )
        ],
        fulfilment=Fulfilment(method="pickup"),
        payment=Payment(method="at_pickup", voucher_authorization_id=authorization_id, voucher_cents=cents),
        goods_cents=total,
        total_cents=total,
        merchant_answer_by=NOW + timedelta(hours=1),
        cancellable_until=NOW + timedelta(minutes=15),
    )


@dataclass
class World:
    """The streams of one voucher, one authorisation and some orders' parts, as a store keeps them."""

    voucher: Voucher
    authorization: Authorization
    parts: dict[UUID, OrderVoucherPart | None] = field(default_factory=dict)

    def pay(
        self,
        order: OrderPlaced,
        *,
        at: datetime = NOW,
        accepts: bool = True,
        merchant: MerchantStanding = SHOP,
        today: date = TODAY,
        now: datetime | None = None,
    ) -> Decision:
        named = order.payment.voucher_authorization_id == self.authorization.authorization_id
        decision = order_payment.pay(
            self.parts.get(order.order_id),
            self.authorization if named else None,
            self.voucher if named else None,
            placed=order,
            placed_at=at,
            merchant=merchant,
            merchant_accepts=accepts,
            today=today,
            now=now or at,
        )
        self._apply(order.order_id, decision)
        return decision

    def end(self, order_id: UUID, ending: IntegrationEvent, today: date = TODAY) -> Decision:
        assert isinstance(ending, OrderRejected | OrderCancelled)
        decision = order_payment.give_back(
            self.parts.get(order_id), self.authorization, self.voucher, ending=ending, today=today
        )
        self._apply(order_id, decision)
        return decision

    def _apply(self, order_id: UUID, decision: Decision) -> None:
        for event in decision.authorization:
            self.authorization = authorizations.evolve(self.authorization, event)
        for event in decision.voucher:
            self.voucher = vouchers.evolve(self.voucher, event)
        if decision.part:
            self.parts[order_id] = order_payment.replay([*decision.part])


def world(paid: int = 3000, bonus: int = 600, authorize: int = 2000) -> World:
    voucher = issued(paid, bonus)
    return World(voucher, authorized(voucher, authorize))


def refusal(decision: Decision) -> VoucherPaymentRefused:
    assert not decision.voucher and not decision.part, decision
    (refused,) = decision.authorization
    assert isinstance(refused, VoucherPaymentRefused)
    return refused


def rejected(order: OrderPlaced) -> OrderRejected:
    return OrderRejected(order_id=order.order_id, merchant_id=order.merchant_id, reason="declined")


# --- authorising ------------------------------------------------------------------------


def test_an_authorisation_lets_orders_take_up_to_what_the_voucher_holds_for_a_while() -> None:
    voucher = issued(paid=3000, bonus=600)
    authorization_id = uuid4()
    (event,) = authorizations.authorize(
        None,
        authorization_id=authorization_id,
        voucher=voucher,
        amount_cents=3600,
        now=NOW,
        valid_for=timedelta(minutes=30),
        today=TODAY,
    )
    assert isinstance(event, VoucherPaymentAuthorized) and not event.published
    assert (event.authorization_id, event.voucher_id, event.amount_cents) == (
        authorization_id,
        voucher.voucher_id,
        3600,
    )
    assert event.expires_at == NOW + timedelta(minutes=30)
    state = authorizations.replay([event])
    assert state is not None and state.left_cents == 3600 and state.used_cents == 0


def test_an_authorisation_is_refused_beyond_the_balance_for_an_expired_voucher_or_a_second_time() -> None:
    voucher = issued(paid=1000, bonus=0, expires_on=date(2027, 4, 30))
    common = {"voucher": voucher, "now": NOW, "valid_for": timedelta(hours=1)}
    with pytest.raises(VoucherHasExpired, match="valid through 2027-04-30"):
        authorizations.authorize(None, authorization_id=uuid4(), amount_cents=500, today=TODAY, **common)  # type: ignore[arg-type]
    with pytest.raises(InsufficientBalance, match=r"€10\.00"):
        authorizations.authorize(None, authorization_id=uuid4(), amount_cents=1001, today=date(2027, 4, 1), **common)  # type: ignore[arg-type]
    for cents in (0, -5):
        with pytest.raises(InvalidChange, match="positive"):
            authorizations.authorize(
                None, authorization_id=uuid4(), amount_cents=cents, today=date(2027, 4, 1), **common
            )  # type: ignore[arg-type]
    given = authorized(issued(), 100)
    with pytest.raises(AlreadyExists):
        authorizations.authorize(
            given, authorization_id=given.authorization_id, amount_cents=100, today=TODAY, **common
        )  # type: ignore[arg-type]


# --- paying orders ----------------------------------------------------------------------


def test_an_order_takes_its_voucher_part_redeemed_at_its_merchant_with_an_id_from_the_order() -> None:
    w = world(paid=3000, bonus=600, authorize=2000)
    order = placed(w.authorization.authorization_id, 1200)

    decision = w.pay(order)

    (used,) = decision.authorization
    (redeemed,) = decision.voucher
    (taken,) = decision.part
    assert isinstance(used, VoucherAuthorizationUsed) and used.voucher_cents == 1200
    assert isinstance(redeemed, VoucherRedeemed)
    assert (redeemed.channel, redeemed.order_id, redeemed.merchant_id) == ("order", order.order_id, SHOP.merchant_id)
    assert redeemed.redemption_id == order_payment.redemption_id_for(order.order_id) == used.redemption_id
    assert (redeemed.paid_part_cents, redeemed.bonus_part_cents, redeemed.balance_after_cents) == (1200, 0, 2400)
    assert isinstance(taken, OrderVoucherPartTaken) and taken.redemption_id == redeemed.redemption_id
    assert (w.voucher.balance_cents, w.authorization.left_cents) == (2400, 800)


def test_a_redelivered_order_decides_nothing_whether_it_was_paid_or_refused() -> None:
    w = world(authorize=1000)
    paid_order = placed(w.authorization.authorization_id, 600)
    assert not w.pay(paid_order).empty
    assert w.pay(paid_order).empty
    # Even with its order part's stream lost, the authorisation and the voucher know the order.
    kept = dict(w.parts)
    w.parts.clear()
    assert w.pay(paid_order).empty
    w.parts.update(kept)

    refused_order = placed(w.authorization.authorization_id, 900, checkout_id=paid_order.checkout_id)
    assert "€4.00 left of €10.00" in refusal(w.pay(refused_order)).reason
    w.end(paid_order.order_id, rejected(paid_order))  # now 10,00 € are free again
    assert w.pay(refused_order).empty  # refused once: a redelivery does not pay it after all
    assert (w.voucher.balance_cents, w.authorization.left_cents) == (3600, 1000)


SUSPENDED = MerchantStanding(SHOP.merchant_id, "Café Extrablatt", "suspended", "approved")
UNKNOWN_SHOP = MerchantStanding.unknown(SHOP.merchant_id)


def _named(w: World, cents: int = 500, total: int = 10_000) -> OrderPlaced:
    return placed(w.authorization.authorization_id, cents, total=total)


REFUSALS: list[tuple[str, Callable[[World], OrderPlaced], dict[str, Any], str]] = [
    ("unknown", lambda w: placed(uuid4(), 500), {}, "no voucher authorisation has this id"),
    ("none named", lambda w: placed(None, 500), {}, "names no voucher authorisation"),
    ("more than the order", lambda w: _named(w, total=400), {}, "total"),
    ("expired", _named, {"at": NOW + timedelta(hours=2)}, "expired"),
    ("over the authorisation", lambda w: _named(w, 2001), {}, "€20.00 left"),
    ("not a member", _named, {"accepts": False}, "joined"),
    ("suspended", _named, {"merchant": SUSPENDED}, "suspended"),
    ("unknown shop", _named, {"merchant": UNKNOWN_SHOP, "now": NOW + timedelta(hours=1)}, "does not know this shop"),
    ("voucher expired", _named, {"today": date(2030, 1, 1)}, "valid through 2029-12-31"),
]


@pytest.mark.parametrize(("why", "order_of", "pay", "reason"), REFUSALS, ids=[case[0] for case in REFUSALS])
def test_an_order_whose_voucher_part_cannot_be_paid_is_refused_with_the_reason(
    why: str, order_of: Callable[[World], OrderPlaced], pay: dict[str, Any], reason: str
) -> None:
    w = world(authorize=2000)
    order = order_of(w)
    before = w.voucher

    refused = refusal(w.pay(order, **pay))

    assert reason in refused.reason, (why, refused.reason)
    assert (refused.order_id, refused.merchant_id, refused.voucher_cents) == (
        order.order_id,
        order.merchant_id,
        order.payment.voucher_cents,
    )
    expected_stream = order.payment.voucher_authorization_id or NO_AUTHORIZATION
    assert refused.authorization_id == expected_stream
    assert w.voucher == before


def test_a_shop_not_known_here_yet_is_waited_for_until_the_orders_answer_time_then_refused() -> None:
    """The replica of the catalog lagging behind is no reason to refuse an order's voucher:
    deciding waits (the consumer tries again later), until ordering gives up on the answer."""
    w = world(authorize=2000)
    order = placed(w.authorization.authorization_id, 500).model_copy(update={"answers_by": NOW + timedelta(minutes=15)})
    for now in (NOW, NOW + timedelta(minutes=14, seconds=59)):
        with pytest.raises(NotYetKnown, match="does not know this shop"):
            w.pay(order, merchant=UNKNOWN_SHOP, now=now)
    assert w.voucher.balance_cents == 3600 and not w.authorization.answered(order.order_id)
    assert w.pay(order, merchant=SHOP, now=NOW + timedelta(minutes=1)).voucher  # heard of it: paid
    late = placed(w.authorization.authorization_id, 500, checkout_id=order.checkout_id).model_copy(
        update={"answers_by": NOW + timedelta(minutes=15)}
    )
    refused = refusal(w.pay(late, merchant=UNKNOWN_SHOP, now=NOW + timedelta(minutes=15)))
    assert "does not know this shop" in refused.reason


def test_an_unknown_authorisations_stream_holds_its_refusals_and_answers_each_order_once() -> None:
    unknown = uuid4()
    order = placed(unknown, 500)
    first = order_payment.pay(
        None, None, None, placed=order, placed_at=NOW, merchant=SHOP, merchant_accepts=True, today=TODAY, now=NOW
    )
    state = authorizations.replay(refusal(first) and first.authorization)
    assert state is not None and state.voucher_id is None and state.answered(order.order_id)
    again = order_payment.pay(
        None, state, None, placed=order, placed_at=NOW, merchant=SHOP, merchant_accepts=True, today=TODAY, now=NOW
    )
    assert again.empty


def test_the_voucher_decides_on_what_it_holds_when_the_order_comes_not_when_it_was_authorised() -> None:
    w = world(paid=1000, bonus=0, authorize=1000)
    spent = vouchers.evolve(
        w.voucher,
        VoucherRedeemed(
            voucher_id=w.voucher.voucher_id,
            merchant_id=OTHER_SHOP.merchant_id,
            amount_cents=700,
            paid_part_cents=700,
            bonus_part_cents=0,
            balance_after_cents=300,
            redemption_id=uuid4(),
        ),
    )
    w.voucher = spent  # spent at a counter meanwhile

    refused = refusal(w.pay(placed(w.authorization.authorization_id, 500)))

    assert "holds €3.00" in refused.reason
    assert w.authorization.left_cents == 1000


def test_the_orders_of_one_checkout_share_an_authorisation_and_another_checkout_may_not() -> None:
    w = world(paid=3000, bonus=600, authorize=3000)
    checkout = uuid4()
    first = placed(w.authorization.authorization_id, 1000, checkout_id=checkout)
    second = placed(w.authorization.authorization_id, 1500, checkout_id=checkout, merchant=OTHER_SHOP)
    third = placed(w.authorization.authorization_id, 600, checkout_id=checkout)

    assert not w.pay(first).empty
    assert not w.pay(second, merchant=OTHER_SHOP).empty
    assert "€5.00 left of €30.00" in refusal(w.pay(third)).reason
    stranger = placed(w.authorization.authorization_id, 100)
    assert "another checkout" in refusal(w.pay(stranger)).reason

    assert (w.authorization.used_cents, w.authorization.left_cents) == (2500, 500)
    assert w.voucher.balance_cents == 3600 - 2500
    assert {r.merchant_id for r in w.voucher.redemptions.values()} == {SHOP.merchant_id, OTHER_SHOP.merchant_id}


# --- giving back ------------------------------------------------------------------------


def test_an_ended_order_gets_its_redemption_reversed_and_released_once() -> None:
    w = world(paid=3000, bonus=600, authorize=3600)
    order = placed(w.authorization.authorization_id, 3300)  # all the money and 3,00 € of the bonus
    w.pay(order)
    assert (w.voucher.paid_balance_cents, w.voucher.bonus_balance_cents) == (0, 300)

    decision = w.end(order.order_id, rejected(order))

    (released,) = decision.authorization
    reversed_, why = decision.voucher
    assert isinstance(released, VoucherAuthorizationReleased) and released.voucher_cents == 3300
    assert isinstance(reversed_, VoucherRedemptionReversed)
    assert (reversed_.paid_part_cents, reversed_.bonus_part_cents, reversed_.reason) == (3000, 300, "")
    assert isinstance(why, VoucherReversalReasonRecorded) and why.reason == "Bestellung abgelehnt"
    assert (w.voucher.paid_balance_cents, w.voucher.bonus_balance_cents) == (3000, 600)
    assert w.authorization.left_cents == 3600
    cancelled = OrderCancelled(order_id=order.order_id, merchant_id=order.merchant_id, by="customer")
    assert w.end(order.order_id, cancelled).empty  # a second ending, a redelivery: nothing more
    assert w.end(order.order_id, rejected(order)).empty


def test_an_order_that_never_took_anything_gets_nothing_back() -> None:
    w = world(authorize=1000)
    refused_order = placed(w.authorization.authorization_id, 5000, total=6000)
    refusal(w.pay(refused_order))
    before = (w.voucher, w.authorization)

    assert w.end(refused_order.order_id, rejected(refused_order)).empty
    never_seen = placed(w.authorization.authorization_id, 100)
    assert w.end(never_seen.order_id, rejected(never_seen)).empty
    assert (w.voucher, w.authorization) == before


def test_money_given_back_after_the_vouchers_validity_is_breakage_at_once() -> None:
    voucher = issued(paid=1000, bonus=0, expires_on=TODAY)
    w = World(voucher, authorized(voucher, 1000))
    order = placed(w.authorization.authorization_id, 800)
    w.pay(order)

    decision = w.end(order.order_id, rejected(order), today=TODAY + timedelta(days=1))

    assert [type(event).__name__ for event in decision.voucher] == [
        "VoucherRedemptionReversed",
        "VoucherReversalReasonRecorded",
        "VoucherExpired",
    ]
    assert (w.voucher.balance_cents, w.voucher.breakage_cents) == (0, 1000)


def test_giving_back_needs_the_voucher_the_part_names() -> None:
    w = world(authorize=1000)
    order = placed(w.authorization.authorization_id, 100)
    w.pay(order)
    with pytest.raises(NotFound):
        order_payment.give_back(w.parts[order.order_id], w.authorization, None, ending=rejected(order), today=TODAY)
