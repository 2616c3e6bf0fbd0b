# SPDX-License-Identifier: AGPL-3.0-or-later
"""An offer: a product (price, optional stock, photos) or a bookable service (duration, hours).

Every offer carries the VAT rate its price includes (German law's default for its category,
:mod:`catalog.domain.vat`, unless the merchant sets one); a service is held in person or by
video (a video consultation: ordering gives its orders a meeting link).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import reduce
from typing import Any
from uuid import UUID

from catalog.domain.errors import AlreadyExists, InvalidChange, NotFound
from catalog.domain.merchant import Merchant
from catalog.domain.vat import default_vat_percent
from downtown_events.catalog import (
    Held,
    OfferDetailsChanged,
    OfferKind,
    OfferListed,
    OfferPhotoAdded,
    OfferPriceChanged,
    OfferSlotBooked,
    OfferSlotReleased,
    OfferStockAdjusted,
    OfferVatRateChanged,
    OfferWithdrawn,
    PhotoVariant,
    Slot,
    TimeWindow,
    VatPercent,
)
from downtown_events.contract import IntegrationEvent

MAX_PHOTOS = 10


@dataclass(frozen=True)
class Offer:
    offer_id: UUID
    merchant_id: UUID
    kind: OfferKind
    title: str
    price_cents: int
    stock: int | None = None
    photos: tuple[str, ...] = ()
    withdrawn: bool = False
    availability: tuple[TimeWindow, ...] = ()
    """A service's weekly bookable hours."""
    bookings: Mapping[tuple[UUID, datetime], Slot] = field(default_factory=dict)
    """A service's booked slots, by the order holding each and the slot's start (one order
    may book two sessions of one service). They are kept on the offer's stream rather than
    on a stream per slot: every booking of an offer appends to that one stream, so two
    bookings of it are decided one after the other (the second at the version the first
    left, or it conflicts and decides again) and overlapping slots are caught too, which a
    stream per slot start would miss (10:00-11:00 and 10:30-11:30 start apart)."""
    vat_percent: VatPercent | None = None
    """The rate its price includes (None: listed before offers carried one)."""
    held: Held = "in_person"
    category: str = ""
    version: int = 0


@dataclass(frozen=True)
class OfferDetails:
    title: str
    description: str = ""
    category: str = ""


def title_or_default(title: str, photo_filename: str | None) -> str:
    """Snap and price is enough: without a title, the photo's name serves, unless it is a
    phone's generated one (IMG_1234.HEIC), which says nothing to a customer. A file name is
    whatever the client sent, so only its printable characters are kept."""
    if title.strip():
        return title.strip()
    printable = "".join(character for character in photo_filename or "" if character.isprintable())
    stem = printable.rsplit(".", 1)[0].replace("_", " ").strip()
    looks_generated = not stem or stem.upper().startswith(("IMG", "DSC", "PXL", "PHOTO"))
    return "Neues Angebot" if looks_generated else stem[:120]


def evolve(state: Offer | None, event: IntegrationEvent) -> Offer:
    if isinstance(event, OfferListed):
        return Offer(
            event.offer_id,
            event.merchant_id,
            event.kind,
            event.title,
            event.price_cents,
            event.stock,
            availability=tuple(event.weekly_availability),
            vat_percent=event.vat_percent,
            held=event.held,
            category=event.category,
            version=1,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before OfferListed")
    state = replace(state, version=state.version + 1)
    match event:
        case OfferDetailsChanged(title=title, category=category):
            return replace(state, title=title, category=category)
        case OfferVatRateChanged(vat_percent=vat_percent):
            return replace(state, vat_percent=vat_percent)
        case OfferPriceChanged(price_cents=price):
            return replace(state, price_cents=price)
        case OfferPhotoAdded(photo_id=photo_id):
            return replace(state, photos=(*state.photos, photo_id))
        case OfferStockAdjusted(stock=stock):
            return replace(state, stock=stock)
        case OfferWithdrawn():
            return replace(state, withdrawn=True)
        case OfferSlotBooked(order_id=order_id, slot=slot):
            return replace(state, bookings={**state.bookings, (order_id, slot.starts_at): slot})
        case OfferSlotReleased(order_id=order_id, slot=slot):
            held = (order_id, slot.starts_at)
            return replace(state, bookings={key: kept for key, kept in state.bookings.items() if key != held})
    return state


def replay(events: Iterable[IntegrationEvent]) -> Offer | None:
    """The offer a stream's events describe; another aggregate's stream is no offer
    (a merchant id sent where an offer id belongs)."""
    history = list(events)
    if history and not isinstance(history[0], OfferListed):
        raise NotFound("no such offer among your offers")
    return reduce(evolve, history, None)


def owned_by(state: Offer | None, merchant_id: UUID) -> Offer:
    """The offer, if it exists and belongs to the merchant; others' offers look absent."""
    if state is None or state.merchant_id != merchant_id:
        raise NotFound("no such offer among your offers")
    return state


def _active(state: Offer | None, merchant_id: UUID) -> Offer:
    offer = owned_by(state, merchant_id)
    if offer.withdrawn:
        raise InvalidChange("the offer was withdrawn; list it again instead")
    return offer


def list_product(
    state: Offer | None,
    merchant: Merchant,
    offer_id: UUID,
    details: OfferDetails,
    price_cents: int,
    stock: int | None,
    vat_percent: VatPercent | None = None,
) -> list[IntegrationEvent]:
    """``vat_percent`` None: the rate German law gives the offer's category."""
    if stock is not None and stock < 0:
        raise InvalidChange("stock cannot be negative")
    return _listing(state, merchant, offer_id, details, price_cents, vat_percent, kind="product", stock=stock)


def list_service(
    state: Offer | None,
    merchant: Merchant,
    offer_id: UUID,
    details: OfferDetails,
    price_cents: int,
    duration_minutes: int,
    availability: Sequence[TimeWindow],
    vat_percent: VatPercent | None = None,
    held: Held = "in_person",
) -> list[IntegrationEvent]:
    """A bookable service; held by video, it is a video consultation, which needs the
    merchant's video consultation link (the meeting its orders are sent to)."""
    if held == "video" and merchant.profile.video_consultation_url is None:
        raise InvalidChange("a video consultation needs your video consultation link; add it to your profile first")
    if not availability:
        raise InvalidChange("a bookable service needs at least one weekly time window")
    if duration_minutes <= 0 or duration_minutes > 24 * 60:
        raise InvalidChange("duration must be between 1 minute and 24 hours")
    return _listing(
        state,
        merchant,
        offer_id,
        details,
        price_cents,
        vat_percent,
        kind="service",
        held=held,
        duration_minutes=duration_minutes,
        weekly_availability=list(availability),
    )


def _listing(
    state: Offer | None,
    merchant: Merchant,
    offer_id: UUID,
    details: OfferDetails,
    price_cents: int,
    vat_percent: VatPercent | None,
    **kind_specific: Any,
) -> list[IntegrationEvent]:
    """What products and services share: a new stream, the merchant's category as default,
    and the VAT rate German law gives that category as default."""
    if state is not None:
        raise AlreadyExists("this offer was listed before")
    category = details.category or merchant.profile.category
    rate = vat_percent if vat_percent is not None else default_vat_percent(kind_specific["kind"], category)
    return [
        OfferListed(
            offer_id=offer_id,
            merchant_id=merchant.merchant_id,
            title=details.title,
            description=details.description,
            category=category,
            price_cents=price_cents,
            vat_percent=rate,
            **kind_specific,
        )
    ]


def change_details(state: Offer | None, merchant_id: UUID, details: OfferDetails) -> list[IntegrationEvent]:
    offer = _active(state, merchant_id)
    return [
        OfferDetailsChanged(
            offer_id=offer.offer_id,
            merchant_id=merchant_id,
            title=details.title,
            description=details.description,
            category=details.category,
        )
    ]


def change_price(state: Offer | None, merchant_id: UUID, price_cents: int) -> list[IntegrationEvent]:
    offer = _active(state, merchant_id)
    if price_cents == offer.price_cents:
        return []
    return [
        OfferPriceChanged(
            offer_id=offer.offer_id,
            merchant_id=merchant_id,
            price_cents=price_cents,
            previous_price_cents=offer.price_cents,
        )
    ]


def change_vat_rate(state: Offer | None, merchant_id: UUID, vat_percent: VatPercent) -> list[IntegrationEvent]:
    """The rate the price includes from now on; orders placed before keep theirs."""
    offer = _active(state, merchant_id)
    if vat_percent == offer.vat_percent:
        return []
    return [
        OfferVatRateChanged(
            offer_id=offer.offer_id,
            merchant_id=merchant_id,
            vat_percent=vat_percent,
            previous_vat_percent=offer.vat_percent,
        )
    ]


def add_photo(
    state: Offer | None, merchant_id: UUID, photo_id: str, variants: Sequence[PhotoVariant]
) -> list[IntegrationEvent]:
    offer = _active(state, merchant_id)
    if photo_id in offer.photos:
        return []
    if len(offer.photos) >= MAX_PHOTOS:
        raise InvalidChange(f"an offer can have at most {MAX_PHOTOS} photos")
    return [
        OfferPhotoAdded(offer_id=offer.offer_id, merchant_id=merchant_id, photo_id=photo_id, variants=list(variants))
    ]


def adjust_stock(state: Offer | None, merchant_id: UUID, delta: int, reason: str) -> list[IntegrationEvent]:
    offer = _active(state, merchant_id)
    if offer.kind != "product":
        raise InvalidChange("services have no stock; change their availability instead")
    current = offer.stock or 0
    if current + delta < 0:
        raise InvalidChange(f"only {current} in stock; cannot remove {-delta}")
    if delta == 0:
        return []
    return [
        OfferStockAdjusted(
            offer_id=offer.offer_id, merchant_id=merchant_id, delta=delta, stock=current + delta, reason=reason
        )
    ]


def withdraw(state: Offer | None, merchant_id: UUID, reason: str) -> list[IntegrationEvent]:
    offer = owned_by(state, merchant_id)
    if offer.withdrawn:
        return []
    return [OfferWithdrawn(offer_id=offer.offer_id, merchant_id=merchant_id, kind=offer.kind, reason=reason)]
