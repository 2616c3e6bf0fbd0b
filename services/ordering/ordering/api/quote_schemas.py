# SPDX-License-Identifier: AGPL-3.0-or-later
"""Answers of the quote and free-slot routes (never the domain objects themselves).

Money is integer cents; times are instants with the town's offset (``2026-10-25T02:30:00+01:00``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from downtown_events.dispatch import SlotKind
from downtown_events.money import Language
from downtown_events.ordering import TimeSlot
from ordering.domain.courier_delivery import CourierQuote, SlotOffer
from ordering.domain.quote import LineQuote, Quote, QuoteWarning, ShopQuote, SlotStatus, WarningCode
from ordering.domain.shop_terms import DeliveryQuote
from ordering.domain.slots import FreeSlots

Words = Callable[[QuoteWarning], str]
"""A warning's sentence in the reader's language."""


class FreeSlotsOut(BaseModel):
    offer_id: UUID
    slots: list[TimeSlot] = Field(description="free times, earliest first; put one in a basket to hold it")
    complete: bool = Field(description="false when there were more than listed: ask for fewer days")

    @classmethod
    def of(cls, offer_id: UUID, free: FreeSlots) -> FreeSlotsOut:
        return cls(offer_id=offer_id, slots=list(free.slots), complete=free.complete)


class WarningOut(BaseModel):
    code: WarningCode
    text: str = Field(description="what to do about it, in the customer's language")
    offer_id: UUID | None
    line_id: UUID | None

    @classmethod
    def of(cls, warning: QuoteWarning, words: Words) -> WarningOut:
        return cls(code=warning.code, text=words(warning), offer_id=warning.offer_id, line_id=warning.line_id)


class QuoteLineOut(BaseModel):
    line_id: UUID
    offer_id: UUID
    title: str
    quantity: int
    unit_price_cents: int = Field(description="the price the line was put in at")
    price_now_cents: int | None = Field(description="the offer's price now; null: no longer offered")
    slot: TimeSlot | None
    slot_status: SlotStatus | None = Field(
        description="a service's time: held (kept for this basket until held_until), hold_ended (free, not kept), "
        "held_elsewhere, booked, not_bookable"
    )
    held_until: datetime | None

    @classmethod
    def of(cls, quoted: LineQuote) -> QuoteLineOut:
        line = quoted.line
        return cls(
            line_id=line.line_id,
            offer_id=line.offer_id,
            title=line.title,
            quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
            price_now_cents=quoted.price_now_cents,
            slot=line.slot,
            slot_status=quoted.slot_status,
            held_until=quoted.held_until,
        )


class DeliveryOut(BaseModel):
    offered: bool = Field(description="whether the shop delivers at all")
    possible: bool = Field(description="whether it delivers to the postal code asked about")
    zone: str | None
    fee_cents: int | None

    @classmethod
    def of(cls, delivery: DeliveryQuote) -> DeliveryOut:
        return cls(
            offered=delivery.offered, possible=delivery.possible, zone=delivery.zone, fee_cents=delivery.fee_cents
        )


class PickupOut(BaseModel):
    possible: bool
    windows: list[TimeSlot] = Field(description="the shop's opening hours on the days asked about, from now")


class ShopQuoteOut(BaseModel):
    merchant_id: UUID
    name: str
    taking_orders: bool
    lines: list[QuoteLineOut]
    goods_cents: int
    delivery: DeliveryOut
    pickup: PickupOut
    answer_by: datetime | None = Field(description="by when the shop answers an order placed now")
    free_slots: list[FreeSlotsOut] = Field(description="per service of the shop's lines, its free times")
    warnings: list[WarningOut]

    @classmethod
    def of(cls, shop: ShopQuote, words: Words) -> ShopQuoteOut:
        return cls(
            merchant_id=shop.merchant_id,
            name=shop.name,
            taking_orders=shop.taking_orders,
            lines=[QuoteLineOut.of(line) for line in shop.lines],
            goods_cents=shop.goods_cents,
            delivery=DeliveryOut.of(shop.delivery),
            pickup=PickupOut(possible=shop.pickup.possible, windows=list(shop.pickup.windows)),
            answer_by=shop.answer_by,
            free_slots=[FreeSlotsOut.of(offer_id, free) for offer_id, free in shop.free_slots.items()],
            warnings=[WarningOut.of(warning, words) for warning in shop.warnings],
        )


class DeliverySlotOut(BaseModel):
    slot_id: str = Field(description="name it as the checkout's delivery_slot.slot_id")
    starts_at: datetime
    ends_at: datetime
    kind: SlotKind
    town_round: bool = Field(description="a town delivery round (usually cheaper), such as Thursday's town tour")
    label: str
    fee_cents: int | None = Field(description="what the delivery costs the customer in this slot; null: set the pin")

    @classmethod
    def of(cls, offer: SlotOffer, timezone: tzinfo) -> DeliverySlotOut:
        slot = offer.slot
        return cls(
            slot_id=slot.slot_id,
            starts_at=slot.starts_at.astimezone(timezone),
            ends_at=slot.ends_at.astimezone(timezone),
            kind=slot.kind,
            town_round=slot.kind == "town_round",
            label=slot.label,
            fee_cents=offer.fee_cents,
        )


class CourierOut(BaseModel):
    """One delivery for the whole basket by the town's couriers, on dispatch's terms."""

    zone: str | None = Field(description="the zone that takes the door asked about; null: none does, or none asked")
    fee_cents: int | None = Field(description="the delivery's fee in the next slot (checkout's default)")
    slots: list[DeliverySlotOut] = Field(description="the next slots that can be booked, and the next town round")

    @classmethod
    def of(cls, courier: CourierQuote, timezone: tzinfo) -> CourierOut:
        return cls(
            zone=None if courier.zone is None else courier.zone.name,
            fee_cents=courier.fee_cents,
            slots=[DeliverySlotOut.of(offer, timezone) for offer in courier.slots],
        )


class QuoteOut(BaseModel):
    basket_id: UUID
    language: Literal["de", "en"]
    postal_code: str | None
    courier: CourierOut | None = Field(
        description="once dispatch publishes the town's terms: the basket's one delivery (null: the shops' fees count)"
    )
    shops: list[ShopQuoteOut]
    goods_cents: int
    delivery_cents: int = Field(description="the fees of the shops that deliver to the postal code asked about")
    total_cents: int = Field(description="goods and those fees")
    warnings: list[WarningOut] = Field(description="every shop's, together: what checkout would refuse now")

    @classmethod
    def of(cls, quote: Quote, language: Language, words: Words, timezone: tzinfo = UTC) -> QuoteOut:
        return cls(
            basket_id=quote.basket_id,
            language=language,
            postal_code=quote.postal_code,
            courier=None if quote.courier is None else CourierOut.of(quote.courier, timezone),
            shops=[ShopQuoteOut.of(shop, words) for shop in quote.shops],
            goods_cents=quote.goods_cents,
            delivery_cents=quote.delivery_cents,
            total_cents=quote.goods_cents + quote.delivery_cents,
            warnings=[WarningOut.of(warning, words) for warning in quote.warnings],
        )
