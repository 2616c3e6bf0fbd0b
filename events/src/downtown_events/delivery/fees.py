# SPDX-License-Identifier: Apache-2.0
"""What a delivery costs and who pays it, as the town decides.

The courier's price (free, flat, or by distance with a cap) is one question; who carries it
is another: the customer, or the town (Dülmen delivered free to its customers and paid the
couriers itself), and a basket above a value can be delivered free to the customer with the
town carrying the fee. A quote says both parts in integer cents, and they add up to the price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from downtown_events.delivery.geo import Coordinates, haversine_m
from downtown_events.refusals import InvalidChange

Payer = Literal["customer", "town"]


def _cents(name: str, value: int | None, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidChange(f"{name} is a whole number of cents, 0 or more, not {value!r}")


@dataclass(frozen=True)
class FreeDelivery:
    """The courier is not paid per delivery (volunteers, a sponsor): the price is 0."""


@dataclass(frozen=True)
class FlatFee:
    cents: int

    def __post_init__(self) -> None:
        _cents("a flat fee", self.cents)


@dataclass(frozen=True)
class DistanceFee:
    """``base_cents`` plus ``per_km_cents`` for every kilometre from shop to customer as the
    crow flies (haversine: no road network is needed to quote, and ordering can quote from
    its replica), rounded half up to a cent, at most ``cap_cents``."""

    base_cents: int
    per_km_cents: int
    cap_cents: int | None = None

    def __post_init__(self) -> None:
        _cents("a base fee", self.base_cents)
        _cents("a fee per kilometre", self.per_km_cents)
        _cents("a fee's cap", self.cap_cents, optional=True)

    def price_cents(self, metres: float) -> int:
        whole_metres = round(metres)
        cents = self.base_cents + (self.per_km_cents * whole_metres + 500) // 1000
        return cents if self.cap_cents is None else min(cents, self.cap_cents)


Pricing = FreeDelivery | FlatFee | DistanceFee


@dataclass(frozen=True)
class FeeRule:
    """The town's rule: a price, who pays it, and the basket value from which the customer
    pays nothing (the town then carries the price)."""

    pricing: Pricing
    paid_by: Payer = "customer"
    free_above_cents: int | None = None

    def __post_init__(self) -> None:
        _cents("the basket value for free delivery", self.free_above_cents, optional=True)
        if self.paid_by not in ("customer", "town"):
            raise InvalidChange(f"a delivery is paid by the customer or the town, not {self.paid_by!r}")


@dataclass(frozen=True)
class FeeQuote:
    """``price_cents`` is what the delivery costs; ``customer_cents + town_cents`` always equals it."""

    price_cents: int
    customer_cents: int
    town_cents: int


def quote_fee(rule: FeeRule, shops: Iterable[Coordinates], customer: Coordinates | None, basket_cents: int) -> FeeQuote:
    """The fee of one delivery (several shops' orders of one checkout make one delivery and one
    fee). By distance, the farthest shop counts: the courier rides at least that far, and the
    customer pays no more for buying in a second shop on the way."""
    _cents("a basket's value", basket_cents)
    price = _price(rule.pricing, tuple(shops), customer)
    waived = rule.free_above_cents is not None and basket_cents >= rule.free_above_cents
    if rule.paid_by == "town" or waived:
        return FeeQuote(price, 0, price)
    return FeeQuote(price, price, 0)


def _price(pricing: Pricing, shops: tuple[Coordinates, ...], customer: Coordinates | None) -> int:
    if isinstance(pricing, FreeDelivery):
        return 0
    if isinstance(pricing, FlatFee):
        return pricing.cents
    if not shops:
        raise InvalidChange("a fee by distance needs the shop the delivery starts from")
    if customer is None:
        raise InvalidChange("a fee by distance needs the door on the map: set the delivery address's pin")
    return pricing.price_cents(max(haversine_m(shop, customer) for shop in shops))
