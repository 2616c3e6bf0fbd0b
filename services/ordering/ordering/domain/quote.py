# SPDX-License-Identifier: AGPL-3.0-or-later
"""A basket's quote: what each shop's order would cost and allow if checked out now.

Per shop: its lines and subtotal, whether it delivers to a postal code (the zone and fee),
its pickup windows for the next days, by when it would answer, the free slots of its
services and whether each service line's time is still held for the basket. What checkout
would refuse now (a withdrawn offer, stock short, a shop suspended or closed, a time taken)
is listed as a warning with a code, rather than first met as a refusal of the whole order.

Pure, by the rules checkout applies (:mod:`ordering.domain.placement`,
:mod:`ordering.domain.slots`), from what the replica and the slot holds say now; it decides
nothing, and the catalog still has the last word on stock and slots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from downtown_events.dispatch import DeliveryTermsSet
from downtown_events.geo import GeoPoint
from downtown_events.ordering import TimeSlot
from ordering.domain.basket import Basket, BasketLine
from ordering.domain.courier_delivery import CourierQuote, quote_delivery
from ordering.domain.errors import InvalidChange
from ordering.domain.facts import MerchantFacts, OfferFacts, TownSettings
from ordering.domain.shop_terms import DeliveryQuote, PickupQuote, answer_by, delivery_terms, pickup_terms
from ordering.domain.slot_holds import SlotHolds
from ordering.domain.slots import FreeSlots, check_slot, free_slots, overlaps

WarningCode = Literal[
    "merchant_unknown",
    "merchant_suspended",
    "merchant_closed",
    "offer_gone",
    "offer_withdrawn",
    "out_of_stock",
    "price_changed",
    "slot_not_bookable",
    "slot_booked",
    "slot_held_elsewhere",
    "slot_hold_ended",
    "no_delivery_here",
]
SlotStatus = Literal["held", "hold_ended", "held_elsewhere", "booked", "not_bookable"]


@dataclass(frozen=True)
class QuoteWarning:
    """Something checkout would refuse (or a hold that ran out), with what its text names."""

    code: WarningCode
    title: str = ""
    offer_id: UUID | None = None
    line_id: UUID | None = None
    values: Mapping[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class LineQuote:
    line: BasketLine
    price_now_cents: int | None
    """The offer's price now (None: no longer offered); another than the line's is a warning."""
    slot_status: SlotStatus | None = None
    held_until: datetime | None = None


@dataclass(frozen=True)
class ShopQuote:
    merchant_id: UUID
    name: str
    taking_orders: bool
    lines: tuple[LineQuote, ...]
    goods_cents: int
    delivery: DeliveryQuote
    pickup: PickupQuote
    answer_by: datetime | None
    """By when the shop would answer an order placed now (None: the shop takes none now)."""
    free_slots: Mapping[UUID, FreeSlots]
    """Per service of the shop's lines, its free times on the quote's days."""
    warnings: tuple[QuoteWarning, ...]


@dataclass(frozen=True)
class Quote:
    basket_id: UUID
    shops: tuple[ShopQuote, ...]
    postal_code: str | None
    courier: CourierQuote | None = None
    """Delivery on dispatch's terms (None: none published; the shops' settings' fees count)."""

    @property
    def goods_cents(self) -> int:
        return sum(shop.goods_cents for shop in self.shops)

    @property
    def delivery_cents(self) -> int:
        """The fees of the shops that deliver to the postal code asked about."""
        return sum(shop.delivery.fee_cents or 0 for shop in self.shops if shop.delivery.possible)

    @property
    def warnings(self) -> tuple[QuoteWarning, ...]:
        return tuple(warning for shop in self.shops for warning in shop.warnings)


@dataclass(frozen=True)
class QuoteFacts:
    """What the quote is made of, as the app gathered it: the replica's offers, merchants and
    booked times, and the slot holds of each service by town day."""

    offers: Mapping[UUID, OfferFacts]
    merchants: Mapping[UUID, MerchantFacts]
    booked: Mapping[UUID, Sequence[TimeSlot]]
    holds: Mapping[tuple[UUID, date], SlotHolds]


def quote(
    basket: Basket,
    facts: QuoteFacts,
    settings: TownSettings,
    now: datetime,
    *,
    days: Sequence[date],
    postal_code: str | None = None,
    terms: DeliveryTermsSet | None = None,
    pin: GeoPoint | None = None,
) -> Quote:
    """With dispatch's ``terms``: the shops that deliver (and take orders, and are on the map)
    make one delivery to the door (``postal_code`` and/or ``pin``), whose fee the first carries."""
    courier = None
    if terms is not None:
        delivering = [
            merchant
            for merchant_id in basket.merchant_ids
            if (merchant := facts.merchants.get(merchant_id)) is not None
            and merchant.offers_delivery
            and not (merchant.suspended or merchant.closed)
            and merchant.location is not None
        ]
        goods = sum(line.gross_cents for shop in delivering for line in basket.lines_of(shop.merchant_id))
        courier = quote_delivery(terms, delivering, goods, postal_code, pin, settings, now)
    shops = tuple(
        _shop(basket, merchant_id, facts, settings, now, days, postal_code, courier)
        for merchant_id in basket.merchant_ids
    )
    return Quote(basket.basket_id, shops, postal_code, courier)


def _shop(
    basket: Basket,
    merchant_id: UUID,
    facts: QuoteFacts,
    settings: TownSettings,
    now: datetime,
    days: Sequence[date],
    postal_code: str | None,
    courier: CourierQuote | None,
) -> ShopQuote:
    lines = basket.lines_of(merchant_id)
    merchant = facts.merchants.get(merchant_id)
    warnings = _merchant_warnings(merchant)
    quoted = []
    for line in lines:
        line_quote, line_warnings = _line(basket.basket_id, line, facts, settings, now)
        quoted.append(line_quote)
        warnings.extend(line_warnings)
    warnings.extend(_stock_warnings(lines, facts.offers))
    taking = merchant is not None and not (merchant.suspended or merchant.closed)
    delivery = delivery_terms(merchant, postal_code, settings) if courier is None else _by_courier(merchant, courier)
    if merchant is not None and delivery.offered and postal_code and not delivery.possible:
        warnings.append(QuoteWarning("no_delivery_here", merchant.name, values={"postal_code": postal_code.strip()}))
    return ShopQuote(
        merchant_id=merchant_id,
        name=merchant.name if merchant is not None else "",
        taking_orders=taking,
        lines=tuple(quoted),
        goods_cents=sum(line.gross_cents for line in lines),
        delivery=delivery,
        pickup=pickup_terms(merchant, days, settings, now),
        answer_by=answer_by(merchant, settings, now) if taking and merchant is not None else None,
        free_slots=_free_slots(basket.basket_id, lines, facts, settings, now, days),
        warnings=tuple(warnings),
    )


def _by_courier(merchant: MerchantFacts | None, courier: CourierQuote) -> DeliveryQuote:
    """A shop's part of the checkout's one delivery: the zone, and the fee if it carries it."""
    offered = merchant is not None and merchant.offers_delivery
    if merchant is None or not offered or courier.zone is None or merchant.location is None:
        return DeliveryQuote(False, offered=offered)
    fee = courier.fee_cents if merchant.merchant_id == courier.carrier else 0
    return DeliveryQuote(True, courier.zone.name, fee, offered=True)


def _merchant_warnings(merchant: MerchantFacts | None) -> list[QuoteWarning]:
    if merchant is None:
        return [QuoteWarning("merchant_unknown")]
    if merchant.suspended:
        return [QuoteWarning("merchant_suspended", merchant.name)]
    if merchant.closed:
        return [QuoteWarning("merchant_closed", merchant.name, values={"note": merchant.closed_note})]
    return []


def _line(
    basket_id: UUID, line: BasketLine, facts: QuoteFacts, settings: TownSettings, now: datetime
) -> tuple[LineQuote, list[QuoteWarning]]:
    offer = facts.offers.get(line.offer_id)
    if offer is None or offer.merchant_id != line.merchant_id or offer.kind != line.kind:
        return LineQuote(line, None), [_about(line, "offer_gone")]
    if offer.withdrawn:
        return LineQuote(line, None), [_about(line, "offer_withdrawn")]
    warnings = []
    if offer.price_cents != line.unit_price_cents:
        warnings.append(_about(line, "price_changed", old_cents=line.unit_price_cents, new_cents=offer.price_cents))
    if line.slot is None:
        return LineQuote(line, offer.price_cents), warnings
    status, held_until = slot_status(basket_id, line.slot, offer, facts, settings, now)
    if status != "held":
        warnings.append(_about(line, _SLOT_WARNINGS[status], starts_at=line.slot.starts_at.isoformat()))
    return LineQuote(line, offer.price_cents, status, held_until), warnings


_SLOT_WARNINGS: dict[SlotStatus, WarningCode] = {
    "not_bookable": "slot_not_bookable",
    "booked": "slot_booked",
    "held_elsewhere": "slot_held_elsewhere",
    "hold_ended": "slot_hold_ended",
}


def _about(line: BasketLine, code: WarningCode, **values: str | int) -> QuoteWarning:
    return QuoteWarning(code, line.title, line.offer_id, line.line_id, values)


def slot_status(
    basket_id: UUID, slot: TimeSlot, offer: OfferFacts, facts: QuoteFacts, settings: TownSettings, now: datetime
) -> tuple[SlotStatus, datetime | None]:
    """Whether the basket's time of a service is still its own: bookable, booked by no order,
    held by no other basket, and still held for it (or at least free)."""
    try:
        check_slot(slot, offer, settings, now)
    except InvalidChange:
        return "not_bookable", None
    if any(overlaps(slot, booked) for booked in facts.booked.get(offer.offer_id, ())):
        return "booked", None
    holds = facts.holds.get((offer.offer_id, slot.starts_at.astimezone(settings.timezone).date()), SlotHolds())
    if any(overlaps(slot, other.slot) for other in holds.live(now, besides=basket_id)):
        return "held_elsewhere", None
    own = holds.of(basket_id, slot)
    if own is None or not own.live(now):
        return "hold_ended", None
    return "held", own.held_until


def _stock_warnings(lines: Sequence[BasketLine], offers: Mapping[UUID, OfferFacts]) -> list[QuoteWarning]:
    wanted: dict[UUID, int] = {}
    for line in lines:
        wanted[line.offer_id] = wanted.get(line.offer_id, 0) + line.quantity
    warnings = []
    for offer_id, quantity in wanted.items():
        offer = offers.get(offer_id)
        if offer is not None and not offer.withdrawn and offer.stock is not None and quantity > offer.stock:
            values = {"left": offer.stock, "wanted": quantity}
            warnings.append(QuoteWarning("out_of_stock", offer.title, offer_id, values=values))
    return warnings


def _free_slots(
    basket_id: UUID,
    lines: Sequence[BasketLine],
    facts: QuoteFacts,
    settings: TownSettings,
    now: datetime,
    days: Sequence[date],
) -> dict[UUID, FreeSlots]:
    """Per service of the lines, its free times, counting the basket's own holds as free."""
    found = {}
    for offer_id in dict.fromkeys(line.offer_id for line in lines if line.slot is not None):
        offer = facts.offers.get(offer_id)
        if offer is None:
            continue
        found[offer_id] = free_slots(offer, days, taken(offer_id, facts, now, besides=basket_id), settings, now)
    return found


def taken(offer_id: UUID, facts: QuoteFacts, now: datetime, *, besides: UUID | None = None) -> list[TimeSlot]:
    """A service's times booked by orders or held by baskets (but the basket ``besides``)."""
    held = [
        hold.slot
        for (offer, _), holds in facts.holds.items()
        if offer == offer_id
        for hold in holds.live(now, besides=besides)
    ]
    return [*facts.booked.get(offer_id, ()), *held]
