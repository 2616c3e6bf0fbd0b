# SPDX-License-Identifier: Apache-2.0
"""Fee rules as a town decides them: the price, and the customer's and the town's share."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_events.delivery.fees import DistanceFee, FeeQuote, FeeRule, FlatFee, FreeDelivery, quote_fee
from downtown_events.delivery.geo import Coordinates
from downtown_events.refusals import InvalidChange

SHOP = Coordinates(51.8300, 7.2800)
ONE_KM_NORTH = Coordinates(51.8300 + 1 / 111.195, 7.2800)
cents = st.integers(min_value=0, max_value=100_000)


def test_free_costs_nobody_anything() -> None:
    assert quote_fee(FeeRule(FreeDelivery()), [SHOP], ONE_KM_NORTH, 5000) == FeeQuote(0, 0, 0)


def test_a_flat_fee_is_the_customers() -> None:
    assert quote_fee(FeeRule(FlatFee(390)), [SHOP], ONE_KM_NORTH, 5000) == FeeQuote(390, 390, 0)


def test_duelmen_delivers_free_and_the_town_pays() -> None:
    assert quote_fee(FeeRule(FlatFee(500), paid_by="town"), [SHOP], ONE_KM_NORTH, 1) == FeeQuote(500, 0, 500)


def test_above_the_basket_value_the_customer_pays_nothing_and_the_town_carries_it() -> None:
    rule = FeeRule(FlatFee(390), free_above_cents=5000)
    assert quote_fee(rule, [SHOP], ONE_KM_NORTH, 4999) == FeeQuote(390, 390, 0)
    assert quote_fee(rule, [SHOP], ONE_KM_NORTH, 5000) == FeeQuote(390, 0, 390)


def test_by_distance_base_plus_per_km_rounded_to_a_cent_and_capped() -> None:
    rule = FeeRule(DistanceFee(base_cents=200, per_km_cents=75, cap_cents=600))
    assert quote_fee(rule, [SHOP], ONE_KM_NORTH, 0).price_cents == 275
    assert quote_fee(rule, [SHOP], SHOP, 0).price_cents == 200
    far = Coordinates(51.8300 + 10 / 111.195, 7.2800)
    assert quote_fee(rule, [SHOP], far, 0).price_cents == 600


def test_half_a_cent_rounds_up() -> None:
    fee = DistanceFee(base_cents=0, per_km_cents=1)
    assert fee.price_cents(499.4) == 0 and fee.price_cents(500) == 1 and fee.price_cents(1499) == 1


def test_by_distance_the_farthest_shop_counts() -> None:
    rule = FeeRule(DistanceFee(base_cents=0, per_km_cents=100))
    near, far = Coordinates(51.8300 + 0.5 / 111.195, 7.28), SHOP
    assert quote_fee(rule, [near, far], ONE_KM_NORTH, 0).price_cents == 100
    with pytest.raises(InvalidChange):
        quote_fee(rule, [], ONE_KM_NORTH, 0)


@pytest.mark.parametrize("bad", [-1, 1.5, True, None])
def test_amounts_are_whole_cents(bad: object) -> None:
    with pytest.raises(InvalidChange):
        FlatFee(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidChange):
        quote_fee(FeeRule(FlatFee(1)), [SHOP], SHOP, bad)  # type: ignore[arg-type]


def test_nobody_else_pays() -> None:
    with pytest.raises(InvalidChange):
        FeeRule(FlatFee(1), paid_by="shop")  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    cents,
    cents,
    st.none() | cents,
    st.sampled_from(["customer", "town"]),
    st.none() | cents,
    cents,
    st.floats(min_value=-0.5, max_value=0.5),
    st.floats(min_value=-0.5, max_value=0.5),
)
def test_the_shares_are_whole_cents_that_add_up_to_the_price(
    base: int, per_km: int, cap: int | None, payer: str, free_above: int | None, basket: int, dlat: float, dlon: float
) -> None:
    rule = FeeRule(DistanceFee(base, per_km, cap), paid_by=payer, free_above_cents=free_above)  # type: ignore[arg-type]
    quote = quote_fee(rule, [SHOP], Coordinates(SHOP.lat + dlat, SHOP.lon + dlon), basket)
    assert all(type(part) is int and part >= 0 for part in (quote.price_cents, quote.customer_cents, quote.town_cents))
    assert quote.customer_cents + quote.town_cents == quote.price_cents
    assert quote.price_cents >= (base if cap is None else min(base, cap))
    assert cap is None or quote.price_cents <= cap
    if payer == "town" or (free_above is not None and basket >= free_above):
        assert quote.customer_cents == 0
