# SPDX-License-Identifier: AGPL-3.0-or-later
"""Checkout: one order per merchant, priced from the replica; changed prices shown, never charged."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_events.catalog import Address, TimeWindow
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import Fulfilment, OrderAccepted, OrderLine, OrderPlaced, Payment, TimeSlot
from ordering.domain import basket
from ordering.domain.checkout import (
    AssistedLine,
    CheckoutDecision,
    CustomerDetails,
    DeliveryChoice,
    MerchantChoice,
    PaymentChoice,
    PickupChoice,
    StreamAppend,
    check_out,
    order_id_for,
    place_assisted,
)
from ordering.domain.errors import (
    AlreadyCheckedOut,
    InvalidChange,
    NotAllowed,
    NotYetKnown,
    OfferUnavailable,
    OutOfStock,
    PricesChanged,
)
from ordering.domain.facts import MerchantFacts, OfferFacts, TownSettings
from ordering.domain.private_events import AssistedOrderEntered, BasketCheckedOut, OrderCustomerRecorded

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)  # a Monday
WEEKDAYS = range(6)
SETTINGS = TownSettings(
    timezone=BERLIN,
    merchant_answer_time=timedelta(hours=2),
    cancellation_grace=timedelta(minutes=30),
    delivery_fees_cents={"48624": 390, "486": 590},
)
WINE = MerchantFacts(
    uuid4(),
    "Weinhandlung Hemsing",
    category="Wein",
    offers_delivery=True,
    opening_hours=tuple(TimeWindow(weekday=day, opens=time(10), closes=time(18)) for day in WEEKDAYS),
    approved=True,
    tax_number="DE123456789",
    address=Address(street="Markt 1", postal_code="48624", city="Schöppingen"),
)
BAKERY = MerchantFacts(
    uuid4(),
    "Bäckerei Kösters",
    category="Bäckerei",
    opening_hours=tuple(TimeWindow(weekday=day, opens=time(7), closes=time(13)) for day in WEEKDAYS),
    vat_percent_by_category={"bäckerei": 7},
    approved=True,
    tax_number="12/345/67890",
    address=Address(street="Markt 2", postal_code="48624", city="Schöppingen"),
)
RIESLING = OfferFacts(uuid4(), WINE.merchant_id, "product", "Riesling 2023", 1290, stock=12)
BREAD = OfferFacts(uuid4(), BAKERY.merchant_id, "product", "Roggenbrot", 450)
TASTING = OfferFacts(
    uuid4(),
    WINE.merchant_id,
    "service",
    "Weinprobe",
    2500,
    duration_minutes=60,
    weekly_availability=(TimeWindow(weekday=0, opens=time(14), closes=time(18)),),
)
OFFERS = {offer.offer_id: offer for offer in (RIESLING, BREAD, TASTING)}
MERCHANTS = {merchant.merchant_id: merchant for merchant in (WINE, BAKERY)}
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
GUEST = CustomerDetails(
    name="Anna Beispiel", email="anna@example.de", guest_token_hash=hashlib.sha256(b"guest").hexdigest()
)
WINDOW = TimeSlot(starts_at=NOW.replace(hour=11), ends_at=NOW.replace(hour=11, minute=30))
TASTING_SLOT = TimeSlot(starts_at=NOW.replace(hour=15), ends_at=NOW.replace(hour=16))
DELIVERY = MerchantChoice(DeliveryChoice(HOME, note="2. Stock"), PaymentChoice("cash_at_door"))
PICKUP = MerchantChoice(PickupChoice(WINDOW), PaymentChoice("at_pickup"))


def filled(*lines: tuple[OfferFacts, int], price: dict[UUID, int] | None = None) -> basket.Basket:
    """A guest's basket with ``quantity`` of each offer at the price seen (today's, unless told)."""
    history: list[IntegrationEvent] = basket.open_basket(
        None, basket_id=uuid4(), access_token_hash=hashlib.sha256(b"b").hexdigest(), now=NOW
    )
    for offer, quantity in lines:
        state = basket.replay(history)
        history += basket.put(
            state,
            offer_id=offer.offer_id,
            merchant_id=offer.merchant_id,
            kind=offer.kind,
            title=offer.title,
            quantity=quantity,
            unit_price_cents=(price or {}).get(offer.offer_id, offer.price_cents),
            slot=TASTING_SLOT if offer.kind == "service" else None,
        )
    state = basket.replay(history)
    assert state is not None
    return state


def checkout(
    state: basket.Basket, choices: dict[UUID, MerchantChoice] | None = None, **overrides: object
) -> CheckoutDecision:
    fields: dict[str, object] = dict(
        checkout_id=uuid4(),
        customer=GUEST,
        choices=choices if choices is not None else {WINE.merchant_id: DELIVERY, BAKERY.merchant_id: PICKUP},
        offers=OFFERS,
        merchants=MERCHANTS,
        settings=SETTINGS,
        now=NOW,
    )
    return check_out(state, **{**fields, **overrides})  # type: ignore[arg-type]


def test_a_basket_from_two_merchants_becomes_two_orders_of_one_checkout() -> None:
    state = filled((RIESLING, 2), (BREAD, 3))
    checkout_id = uuid4()
    decision = checkout(state, checkout_id=checkout_id)
    wine, bakery = decision.orders
    assert wine.order_id == order_id_for(checkout_id, WINE.merchant_id)
    assert wine.placed == OrderPlaced(
        order_id=wine.order_id,
        checkout_id=checkout_id,
        merchant_id=WINE.merchant_id,
        lines=[
            OrderLine(
                offer_id=RIESLING.offer_id,
                kind="product",
                title="Riesling 2023",
                quantity=2,
                unit_price_cents=1290,
                vat_rate_percent=19,
            )
        ],
        fulfilment=Fulfilment(method="delivery", delivery_zone="48624", delivery_fee_cents=390),
        payment=Payment(method="cash_at_door"),
        goods_cents=2580,
        total_cents=2970,
        merchant_answer_by=NOW.replace(hour=12),  # two hours of its opening hours: it opens at 10:00
        cancellable_until=NOW + timedelta(minutes=30),
        answers_by=NOW + timedelta(minutes=15),  # the catalog's and vouchers' time to answer
    )
    assert bakery.placed.lines[0].vat_rate_percent == 7 and bakery.placed.total_cents == 1350
    assert bakery.placed.fulfilment == Fulfilment(method="pickup", pickup_window=WINDOW)
    assert decision.total_cents == 2970 + 1350
    customer = wine.events[1]
    assert isinstance(customer, OrderCustomerRecorded) and not customer.published
    assert (customer.name, customer.email, customer.delivery_address, customer.delivery_note) == (
        "Anna Beispiel",
        "anna@example.de",
        HOME,
        "2. Stock",
    )
    assert customer.guest_token_hash == GUEST.guest_token_hash and customer.account_id is None
    assert isinstance(bakery.events[1], OrderCustomerRecorded) and bakery.events[1].delivery_address is None
    assert decision.record == StreamAppend(
        state.basket_id,
        state.version,  # the version the checkout was decided on: a rival checkout makes it conflict
        (
            BasketCheckedOut(
                basket_id=state.basket_id,
                checkout_id=checkout_id,
                order_ids=[wine.order_id, bakery.order_id],
                checked_out_at=NOW,
            ),
        ),
    )
    assert [(append.stream_id, append.expected_version) for append in decision.appends()] == [
        (state.basket_id, state.version),
        (wine.order_id, 0),
        (bakery.order_id, 0),
    ]


def test_changed_prices_are_shown_all_at_once_never_charged() -> None:
    state = filled((RIESLING, 2), (BREAD, 1), price={RIESLING.offer_id: 1190, BREAD.offer_id: 500})
    with pytest.raises(PricesChanged, match=r"Riesling 2023: €11\.90 → €12\.90") as refused:
        checkout(state)
    changes = {change.offer_id: change for change in refused.value.changes}
    assert (changes[RIESLING.offer_id].old_unit_price_cents, changes[RIESLING.offer_id].new_unit_price_cents) == (
        1190,
        1290,
    )
    assert changes[BREAD.offer_id].line_id == basket.line_id(BREAD.offer_id)
    assert (changes[BREAD.offer_id].old_unit_price_cents, changes[BREAD.offer_id].new_unit_price_cents) == (500, 450)
    for offer in (RIESLING, BREAD):  # the customer confirms by putting the lines again
        (line,) = (line for line in state.lines.values() if line.offer_id == offer.offer_id)
        events = basket.put(
            state,
            offer_id=offer.offer_id,
            merchant_id=offer.merchant_id,
            kind="product",
            title=offer.title,
            quantity=line.quantity,
            unit_price_cents=offer.price_cents,
        )
        state = basket.evolve(state, events[0])
    assert checkout(state).total_cents == 2970 + 450


def test_an_unknown_another_towns_or_withdrawn_offer_is_refused() -> None:
    state = filled((RIESLING, 1))
    choices = {WINE.merchant_id: DELIVERY}
    with pytest.raises(OfferUnavailable, match="not offered here") as refused:
        checkout(state, choices, offers={})  # another town's replica knows it not
    assert refused.value.offer_id == RIESLING.offer_id
    withdrawn = {RIESLING.offer_id: replace(RIESLING, withdrawn=True)}
    with pytest.raises(OfferUnavailable, match="has withdrawn Riesling 2023"):
        checkout(state, choices, offers=withdrawn)
    moved = {RIESLING.offer_id: replace(RIESLING, merchant_id=BAKERY.merchant_id)}
    with pytest.raises(OfferUnavailable):
        checkout(state, choices, offers=moved)


def test_more_than_the_known_stock_is_refused() -> None:
    choices = {WINE.merchant_id: DELIVERY}
    with pytest.raises(OutOfStock, match="only 12 left") as refused:
        checkout(filled((RIESLING, 13)), choices)
    assert refused.value.left == 12
    with pytest.raises(OutOfStock, match="none left"):
        checkout(filled((RIESLING, 1)), choices, offers={**OFFERS, RIESLING.offer_id: replace(RIESLING, stock=0)})
    assert checkout(filled((RIESLING, 12)), choices).orders
    uncounted = {**OFFERS, RIESLING.offer_id: replace(RIESLING, stock=None)}
    assert checkout(filled((RIESLING, 999)), choices, offers=uncounted).total_cents == 999 * 1290 + 390


def test_a_suspended_closed_or_unknown_merchant_refuses() -> None:
    state = filled((RIESLING, 1))
    choices = {WINE.merchant_id: DELIVERY}
    with pytest.raises(NotAllowed, match="suspended Weinhandlung Hemsing"):
        checkout(state, choices, merchants={WINE.merchant_id: replace(WINE, suspended=True)})
    with pytest.raises(NotAllowed, match=r"closed for now \(Betriebsferien\)"):
        checkout(state, choices, merchants={WINE.merchant_id: replace(WINE, closed=True, closed_note="Betriebsferien")})
    with pytest.raises(NotYetKnown):
        checkout(state, choices, merchants={})


def test_every_merchant_of_the_basket_needs_its_choices_and_only_those() -> None:
    state = filled((RIESLING, 1), (BREAD, 1))
    with pytest.raises(InvalidChange, match="for Bäckerei Kösters"):
        checkout(state, {WINE.merchant_id: DELIVERY})
    with pytest.raises(InvalidChange, match="nothing in this order"):
        checkout(state, {WINE.merchant_id: DELIVERY, BAKERY.merchant_id: PICKUP, uuid4(): PICKUP})


def test_a_pickup_window_lies_ahead_within_opening_hours() -> None:
    state = filled((BREAD, 1))

    def pickup(starts: datetime, ends: datetime, merchant: MerchantFacts = BAKERY) -> object:
        choice = MerchantChoice(PickupChoice(TimeSlot(starts_at=starts, ends_at=ends)), PaymentChoice("at_pickup"))
        return checkout(state, {BAKERY.merchant_id: choice}, merchants={BAKERY.merchant_id: merchant})

    with pytest.raises(InvalidChange, match="in the past"):
        pickup(NOW - timedelta(hours=1), NOW - timedelta(minutes=30))
    with pytest.raises(InvalidChange, match="outside Bäckerei Kösters's opening hours"):
        pickup(NOW.replace(hour=12, minute=30), NOW.replace(hour=13, minute=30))  # past closing
    sunday = NOW + timedelta(days=6)
    with pytest.raises(InvalidChange, match="opening hours"):
        pickup(sunday.replace(hour=9), sunday.replace(hour=10))
    with pytest.raises(InvalidChange, match="offers no pickup"):
        pickup(NOW.replace(hour=9), NOW.replace(hour=10), replace(BAKERY, offers_pickup=False))
    assert pickup(NOW.replace(hour=12), NOW.replace(hour=13))  # up to closing time
    utc = ZoneInfo("UTC")  # windows are the town's wall-clock time, whatever zone the client sent
    assert pickup(NOW.replace(hour=12).astimezone(utc), NOW.replace(hour=13).astimezone(utc))
    with pytest.raises(InvalidChange, match="choose when to pick up"):
        checkout(state, {BAKERY.merchant_id: MerchantChoice(PickupChoice(), PaymentChoice("at_pickup"))})


def test_a_service_slot_lies_in_its_weekly_hours_lasts_its_duration_and_needs_no_pickup_window() -> None:
    at_the_shop = {WINE.merchant_id: MerchantChoice(PickupChoice(), PaymentChoice("at_pickup"))}
    (order,) = checkout(filled((TASTING, 2)), at_the_shop).orders
    assert order.placed.lines[0].slot == TASTING_SLOT and order.placed.fulfilment == Fulfilment(method="pickup")
    for offer, reason in (
        (replace(TASTING, duration_minutes=90), "takes 90 minutes"),
        (replace(TASTING, weekly_availability=(TimeWindow(weekday=1, opens=time(14), closes=time(18)),)), "bookable"),
        (replace(TASTING, weekly_availability=()), "bookable hours"),
    ):
        with pytest.raises(InvalidChange, match=reason):
            checkout(filled((TASTING, 1)), at_the_shop, offers={TASTING.offer_id: offer})
    with pytest.raises(InvalidChange, match="has passed"):
        checkout(filled((TASTING, 1)), at_the_shop, now=NOW.replace(hour=15))


def test_delivery_only_where_the_merchant_delivers_and_a_zone_covers_the_postal_code() -> None:
    wine_only = filled((RIESLING, 1))
    with pytest.raises(InvalidChange, match="does not deliver"):
        checkout(filled((BREAD, 1)), {BAKERY.merchant_id: DELIVERY})
    far = MerchantChoice(DeliveryChoice(HOME.model_copy(update={"postal_code": "10115"})), PaymentChoice("invoice"))
    with pytest.raises(InvalidChange, match="do not deliver to 10115"):
        checkout(wine_only, {WINE.merchant_id: far})
    near = MerchantChoice(DeliveryChoice(HOME.model_copy(update={"postal_code": "48619"})), PaymentChoice("invoice"))
    (order,) = checkout(wine_only, {WINE.merchant_id: near}).orders
    assert (order.placed.fulfilment.delivery_zone, order.placed.fulfilment.delivery_fee_cents) == ("486", 590)


def test_the_voucher_part_cannot_exceed_the_total_and_the_rest_is_paid_another_way() -> None:
    state = filled((RIESLING, 2))  # 25.80 € + 3.90 € delivery
    authorization = uuid4()

    def paying(payment: PaymentChoice) -> Payment:
        (order,) = checkout(state, {WINE.merchant_id: MerchantChoice(DeliveryChoice(HOME), payment)}).orders
        return order.placed.payment

    part = paying(PaymentChoice("card_at_door", authorization, 2000))
    assert (part.method, part.voucher_cents, part.voucher_authorization_id) == ("card_at_door", 2000, authorization)
    assert paying(PaymentChoice("invoice", authorization, 2970)).method == "voucher"  # nothing left to pay
    assert paying(PaymentChoice("voucher", authorization, 2970)).voucher_cents == 2970
    for payment, reason in (
        (PaymentChoice("cash_at_door", authorization, 2971), "exceeds the order's total €29.70"),
        (PaymentChoice("voucher", authorization, 1000), "choose how to pay the rest"),
        (PaymentChoice("cash_at_door", None, 1000), "authorisation"),
        (PaymentChoice("cash_at_door", authorization, 0), "authorisation"),
        (PaymentChoice("at_pickup"), "needs pickup"),
    ):
        with pytest.raises(InvalidChange, match=reason):
            paying(payment)
    bread = filled((BREAD, 1))
    for method, reason in (("card_at_door", "needs delivery"), ("invoice", "billing address")):
        choice = MerchantChoice(PickupChoice(WINDOW), PaymentChoice(method))  # type: ignore[arg-type]
        with pytest.raises(InvalidChange, match=reason):
            checkout(bread, {BAKERY.merchant_id: choice})
    billed = replace(GUEST, billing_address=HOME)
    choice = MerchantChoice(PickupChoice(WINDOW), PaymentChoice("invoice"))
    (order,) = checkout(bread, {BAKERY.merchant_id: choice}, customer=billed).orders
    assert isinstance(order.events[1], OrderCustomerRecorded) and order.events[1].billing_address == HOME


def test_on_invoice_only_at_a_shop_the_association_approved_that_has_a_tax_number() -> None:
    bread = filled((BREAD, 1))
    billed = replace(GUEST, billing_address=HOME)
    on_invoice = MerchantChoice(PickupChoice(WINDOW), PaymentChoice("invoice"))
    for bakery, why in (
        (replace(BAKERY, approved=False), "the town's association has not approved it for payments"),
        (replace(BAKERY, tax_number=""), "it has given no tax number or VAT id"),
        (replace(BAKERY, address=None), "the catalog has no address of it"),
    ):
        with pytest.raises(InvalidChange, match=f"^Bäckerei Kösters takes no orders on invoice: {why}"):
            checkout(bread, {BAKERY.merchant_id: on_invoice}, customer=billed, merchants={BAKERY.merchant_id: bakery})
        at_pickup = MerchantChoice(PickupChoice(WINDOW), PaymentChoice("at_pickup"))
        (order,) = checkout(bread, {BAKERY.merchant_id: at_pickup}, merchants={BAKERY.merchant_id: bakery}).orders
        assert order.placed.payment.method == "at_pickup"  # every other way to pay stays open


def test_who_orders_is_a_guest_with_an_email_or_the_baskets_account() -> None:
    state = filled((RIESLING, 1))
    choices = {WINE.merchant_id: DELIVERY}
    for customer, reason in (
        (replace(GUEST, email=None), "e-mail address is needed"),
        (replace(GUEST, guest_token_hash=None), "order as a guest"),
        (replace(GUEST, account_id=uuid4()), "not both"),
        (replace(GUEST, name=" "), "name"),
        (replace(GUEST, email="anna@"), "email"),
    ):
        with pytest.raises(InvalidChange, match=reason):
            checkout(state, choices, customer=customer)
    account = uuid4()
    owned = basket.replay(basket.open_basket(None, basket_id=uuid4(), account_id=account, now=NOW))
    owned = basket.evolve(
        owned,  # type: ignore[arg-type]
        basket.put(
            owned,
            offer_id=RIESLING.offer_id,
            merchant_id=WINE.merchant_id,
            kind="product",
            title="Riesling",
            quantity=1,
            unit_price_cents=1290,
        )[0],
    )
    signed_in = CustomerDetails(name="Anna", email="anna@example.de", account_id=account)
    assert checkout(owned, choices, customer=signed_in).orders
    with pytest.raises(NotAllowed, match="another account"):
        checkout(owned, choices, customer=replace(signed_in, account_id=uuid4()))


def test_an_empty_or_checked_out_basket_is_not_checked_out() -> None:
    empty = filled()
    with pytest.raises(InvalidChange, match="empty"):
        checkout(empty)
    state = filled((RIESLING, 1))
    decision = checkout(state, {WINE.merchant_id: DELIVERY})
    state = basket.evolve(state, decision.record.events[0])
    with pytest.raises(AlreadyCheckedOut) as refused:
        checkout(state, {WINE.merchant_id: DELIVERY})
    assert refused.value.checkout_id == decision.checkout_id


def test_an_assisted_order_is_priced_today_and_accepted_at_once_when_the_merchant_enters_it() -> None:
    caller = CustomerDetails(name="Herr Althoff", phone="02555 1234")
    choice = MerchantChoice(PickupChoice(WINDOW.model_copy(update={"starts_at": NOW.replace(hour=10)})), PICKUP.payment)
    by_merchant = place_assisted(
        checkout_id=uuid4(),
        merchant_id=WINE.merchant_id,
        lines=[AssistedLine(RIESLING.offer_id, 3)],
        placed_by="merchant",
        customer=caller,
        choice=choice,
        offers=OFFERS,
        merchants=MERCHANTS,
        settings=SETTINGS,
        now=NOW,
    )
    (order,) = by_merchant.orders
    placed, recorded, accepted = order.events
    assert placed == order.placed and order.placed.placed_by == "merchant" and order.placed.total_cents == 3870
    assert isinstance(recorded, OrderCustomerRecorded) and (recorded.email, recorded.phone) == (None, "02555 1234")
    assert accepted == OrderAccepted(order_id=order.order_id, merchant_id=WINE.merchant_id)
    by_association = place_assisted(
        checkout_id=uuid4(),
        merchant_id=WINE.merchant_id,
        lines=[AssistedLine(RIESLING.offer_id, 1)],
        placed_by="association",
        customer=caller,
        choice=choice,
        offers=OFFERS,
        merchants=MERCHANTS,
        settings=SETTINGS,
        now=NOW,
    )
    assert [type(event) for event in by_association.orders[0].events] == [OrderPlaced, OrderCustomerRecorded]
    entered = by_association.record
    assert entered == StreamAppend(
        by_association.checkout_id,
        0,  # the assisted checkout's own new stream: one request per Idempotency-Key, whichever merchant
        (
            AssistedOrderEntered(
                checkout_id=by_association.checkout_id,
                order_id=by_association.orders[0].order_id,
                merchant_id=WINE.merchant_id,
                placed_by="association",
            ),
        ),
    )
    with pytest.raises(OfferUnavailable, match="offers no such thing"):
        place_assisted(
            checkout_id=uuid4(),
            merchant_id=WINE.merchant_id,
            lines=[AssistedLine(BREAD.offer_id, 1)],  # another merchant's
            placed_by="merchant",
            customer=caller,
            choice=choice,
            offers=OFFERS,
            merchants=MERCHANTS,
            settings=SETTINGS,
            now=NOW,
        )
    for lines, reason in (
        ([AssistedLine(RIESLING.offer_id, 0)], "1 to 999"),
        ([AssistedLine(RIESLING.offer_id, 1, TASTING_SLOT)], "only a service"),
        ([AssistedLine(TASTING.offer_id, 1)], "choose one of its slots"),
        ([], "1 to 100 lines"),
    ):
        with pytest.raises(InvalidChange, match=reason):
            place_assisted(
                checkout_id=uuid4(),
                merchant_id=WINE.merchant_id,
                lines=lines,
                placed_by="merchant",
                customer=caller,
                choice=choice,
                offers=OFFERS,
                merchants=MERCHANTS,
                settings=SETTINGS,
                now=NOW,
            )
    with pytest.raises(InvalidChange, match="phone number or e-mail"):
        place_assisted(
            checkout_id=uuid4(),
            merchant_id=WINE.merchant_id,
            lines=[AssistedLine(RIESLING.offer_id, 1)],
            placed_by="association",
            customer=CustomerDetails(name="Herr Althoff"),
            choice=choice,
            offers=OFFERS,
            merchants=MERCHANTS,
            settings=SETTINGS,
            now=NOW,
        )


shops = st.lists(
    st.tuples(
        st.integers(0, 2),  # which merchant
        st.integers(0, 200_000),  # price in cents
        st.integers(1, 999),  # quantity
        st.integers(0, 100),  # share of the order paid by voucher, in percent
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(lines=shops, fee=st.integers(0, 1000), rate=st.sampled_from([0, 7, 19]))
def test_totals_add_up_to_the_cent_per_merchant_and_the_voucher_part_stays_within(
    lines: list[tuple[int, int, int, int]], fee: int, rate: int
) -> None:
    merchants = [replace(WINE, merchant_id=uuid4(), vat_percent_by_category={"wein": rate}) for _ in range(3)]
    offers = [
        OfferFacts(uuid4(), merchants[pick].merchant_id, "product", f"Wein {n}", price)
        for n, (pick, price, _, _) in enumerate(lines)
    ]
    state = filled(*((offer, quantity) for offer, (_, _, quantity, _) in zip(offers, lines, strict=True)))
    expected_goods = {merchant.merchant_id: 0 for merchant in merchants}
    for offer, (_, price, quantity, _) in zip(offers, lines, strict=True):
        expected_goods[offer.merchant_id] += price * quantity
    choices = {}
    for merchant_id, goods in expected_goods.items():
        if goods or any(offer.merchant_id == merchant_id for offer in offers):
            share = next(
                share for offer, (_, _, _, share) in zip(offers, lines, strict=True) if offer.merchant_id == merchant_id
            )
            voucher = (goods + fee) * share // 100
            payment = PaymentChoice("invoice", uuid4() if voucher else None, voucher)
            choices[merchant_id] = MerchantChoice(DeliveryChoice(HOME), payment)
    decision = checkout(
        state,
        choices,
        offers={offer.offer_id: offer for offer in offers},
        merchants={merchant.merchant_id: merchant for merchant in merchants},
        settings=replace(SETTINGS, delivery_fees_cents={"48624": fee}),
    )
    assert {order.placed.merchant_id for order in decision.orders} == set(choices)
    for order in decision.orders:
        placed = order.placed
        assert (
            placed.goods_cents == expected_goods[placed.merchant_id] == sum(line.gross_cents for line in placed.lines)
        )
        assert placed.total_cents == placed.goods_cents + fee
        assert 0 <= placed.payment.voucher_cents <= placed.total_cents
        assert all(line.vat_rate_percent == rate for line in placed.lines)
    assert decision.total_cents == sum(expected_goods[merchant_id] + fee for merchant_id in choices)
    assert len(decision.record.events[0].order_ids) == len(choices)  # type: ignore[attr-defined]


def test_the_decision_names_the_stream_of_each_event_and_the_customers_language() -> None:
    state = filled((RIESLING, 1), (BREAD, 1))
    decision = checkout(state, customer=replace(GUEST, language="en"))
    appends = {append.stream_id: append.events for append in decision.appends()}
    assert set(appends) == {state.basket_id, *(order.order_id for order in decision.orders)}
    assert appends[state.basket_id] == decision.record.events
    for placed_order in decision.orders:
        recorded = appends[placed_order.order_id][1]
        assert isinstance(recorded, OrderCustomerRecorded) and recorded.language == "en"
