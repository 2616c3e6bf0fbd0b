# SPDX-License-Identifier: Apache-2.0
"""Events of the catalog service: merchants, their offers, photos and stock.

Published on ``<town>.catalog.events``, keyed by the aggregate id (``merchant_id`` for
merchant events, ``offer_id`` for offer events). Money is integer cents, never float.
Offer events repeat ``merchant_id`` so a consumer need not remember which merchant an
offer belongs to.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    Field,
    HttpUrl,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from downtown_events.contract import IntegrationEvent, ValueObject, registry
from downtown_events.geo import GeoPoint
from downtown_events.text import EventEmail, EventLine, EventText

Currency = Literal["EUR"]
EMAIL_PATTERN = r"^[^@\s\u0000-\u001f\u007f]+@[^@\s\u0000-\u001f\u007f]+\.[^@\s\u0000-\u001f\u007f]+$"
OfferKind = Literal["product", "service"]
Held = Literal["in_person", "video"]
"""How a service is held: where the customer and the merchant meet, or by video (a video
consultation, which gets a meeting link). A product is handed over: always ``in_person``."""
VatPercent = Literal[7, 19]
"""Germany's two VAT rates an offer's price may include (§ 12 UStG): the reduced 7 % and the
standard 19 %."""
TaxNumberKind = Literal["steuernummer", "ust_idnr"]
"""Which number an invoice names: the Steuernummer the tax office gave, or the VAT id
(Umsatzsteuer-Identifikationsnummer, USt-IdNr) the Bundeszentralamt für Steuern gave."""


class Address(ValueObject):
    street: EventLine = Field(min_length=1, max_length=200)
    postal_code: EventLine = Field(min_length=3, max_length=10)
    city: EventLine = Field(min_length=1, max_length=100)


WallClockTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            # JSON Schema's "time" format (RFC 3339) demands a zone, which wall-clock times do
            # not have; a zone appears only in events written before it was refused.
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?$",
            "description": "The town's wall-clock time, HH:MM or HH:MM:SS; a zone, if present, is ignored.",
            "examples": ["09:00:00"],
        }
    ),
]


class TimeWindow(ValueObject):
    """An interval on one weekday (0 = Monday), e.g. opening hours or bookable hours.

    Times are the town's wall-clock time. Early writers accepted a zone ("09:00:00Z"); such
    events stay in the log, so reading drops the zone rather than refusing them or letting
    them be compared with zone-less times (which Python refuses).
    """

    weekday: int = Field(ge=0, le=6, description="0 = Monday, 1 = Tuesday, … 5 = Saturday, 6 = Sunday")
    opens: WallClockTime
    closes: WallClockTime

    @field_validator("opens", "closes")
    @classmethod
    def _wall_clock(cls, moment: time) -> time:
        return moment.replace(tzinfo=None)

    @model_validator(mode="after")
    def _opens_before_closes(self) -> TimeWindow:
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes")
        return self


class PhotoVariant(ValueObject):
    name: str
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    content_type: str


class CatalogEvent(IntegrationEvent):
    service: ClassVar[str] = "catalog"


TAX_NUMBER_PATTERN = r"^[A-Z]{2}[0-9A-Z]{2,13}$|^[0-9]{2,3}/?[0-9]{3,4}/?[0-9]{4,5}$|^[0-9]{13}$"
"""A VAT id, a Steuernummer as a state writes it (12/345/67890) or in the 13 digits of the
federal form. The 13-digit form was added with ``tax_number_kind``: a reader validating
against the pattern published before it refuses such a profile (decision 38)."""
IBAN_PATTERN = r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"
BIC_PATTERN = r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$"


class BankAccount(ValueObject):
    """The account a merchant's invoices ask customers to pay into (SEPA transfer).

    The IBAN is stored without spaces, its check digits verified by the catalog (ISO 13616
    mod 97, and the length its country gives it); :attr:`grouped_iban` is how it is printed."""

    iban: str = Field(pattern=IBAN_PATTERN, max_length=34, examples=["DE89370400440532013000"])
    bic: str | None = Field(default=None, pattern=BIC_PATTERN, description="8 or 11 characters; optional in SEPA")
    account_holder: EventLine = Field(min_length=1, max_length=70)

    @property
    def grouped_iban(self) -> str:
        """The IBAN in groups of four, as invoices and people write it: DE89 3704 0044 …"""
        return " ".join(self.iban[start : start + 4] for start in range(0, len(self.iban), 4))


class MerchantProfile(ValueObject):
    """Who a merchant is and how to reach them; repeated whole when it changes."""

    added_fields: ClassVar[frozenset[str]] = frozenset({"tax_number", "tax_number_kind", "bank_account", "location"})
    name: EventLine = Field(min_length=1, max_length=120)
    category: EventLine = Field(min_length=1, max_length=60)
    address: Address
    phone: EventLine = Field(min_length=3, max_length=40)
    email: EventEmail = Field(pattern=EMAIL_PATTERN, max_length=254)
    video_consultation_url: HttpUrl | None = None
    offers_delivery: bool = False
    offers_pickup: bool = True
    sells_vouchers: bool = False
    tax_number: EventLine | None = Field(
        default=None,
        max_length=20,
        pattern=TAX_NUMBER_PATTERN,
        description="the VAT id (DE123456789) or Steuernummer (12/345/67890) its invoices carry",
    )
    tax_number_kind: TaxNumberKind | None = Field(
        default=None,
        description="which of the two tax_number is; null in profiles written before the kind was recorded "
        "(then its form says: DE and 9 digits is a USt-IdNr)",
    )
    bank_account: BankAccount | None = Field(
        default=None,
        description="the account its invoices ask customers to pay into; public like the invoices it is printed on",
    )
    location: GeoPoint | None = Field(
        default=None, description="the shop's door on the map, where couriers pick up; null until the merchant sets it"
    )


# --- merchant --------------------------------------------------------------------------


def _split_one_line_address(data: dict[str, Any]) -> dict[str, Any]:
    """v1 stored the address as one line, "Hauptstraße 1, 48624 Schöppingen"."""
    line = str(data.get("address", ""))
    street, _, rest = line.partition(",")
    postal_code, _, city = rest.strip().partition(" ")
    profile = {key: value for key, value in data.items() if key not in {"address", "merchant_id"}}
    profile["address"] = {
        "street": street.strip() or line,
        "postal_code": postal_code or "00000",
        "city": city.strip() or "unknown",
    }
    return {"merchant_id": data["merchant_id"], "profile": profile, "opening_hours": []}


class MerchantRegisteredV1(CatalogEvent):
    """Superseded: one-line address and no opening hours. Kept so v1 records stay readable."""

    event_name: ClassVar[str] = "MerchantRegistered"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID
    name: str
    category: str
    address: str
    phone: str
    email: str


registry.register_old(MerchantRegisteredV1, _split_one_line_address)


@registry.register
class MerchantRegistered(CatalogEvent):
    event_name: ClassVar[str] = "MerchantRegistered"
    schema_version: ClassVar[int] = 2
    merchant_id: UUID
    profile: MerchantProfile
    opening_hours: list[TimeWindow] = Field(default_factory=list)


@registry.register
class MerchantProfileChanged(CatalogEvent):
    event_name: ClassVar[str] = "MerchantProfileChanged"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID
    profile: MerchantProfile


@registry.register
class OpeningHoursChanged(CatalogEvent):
    event_name: ClassVar[str] = "OpeningHoursChanged"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID
    opening_hours: list[TimeWindow]


@registry.register
class MerchantClosed(CatalogEvent):
    """The merchant closed the shop for now (holiday, illness); the listing stays visible."""

    event_name: ClassVar[str] = "MerchantClosed"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID
    note: EventLine = Field(default="", max_length=200)


@registry.register
class MerchantReopened(CatalogEvent):
    event_name: ClassVar[str] = "MerchantReopened"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID


@registry.register
class MerchantAvailabilityNoted(CatalogEvent):
    """The merchant's note to customers for one day ("Heute ab 14 Uhr nur Abholung"): the
    directory shows it on ``for_day`` only, so yesterday's note never greets today's customers.
    An empty note clears the day's. It says nothing of whether the shop is open (that is
    ``MerchantClosed``) and no service's rules depend on it."""

    event_name: ClassVar[str] = "MerchantAvailabilityNoted"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID
    note: EventLine = Field(max_length=200, description="one line for customers; empty: the day's note is cleared")
    for_day: date = Field(description="the town-local date the note is for")


@registry.register
class MerchantSuspended(CatalogEvent):
    """The town's association took the merchant off the high street."""

    event_name: ClassVar[str] = "MerchantSuspended"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID
    reason: EventLine = Field(min_length=1, max_length=500)


@registry.register
class MerchantReinstated(CatalogEvent):
    event_name: ClassVar[str] = "MerchantReinstated"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID


@registry.register
class MerchantApproved(CatalogEvent):
    """The town's association vouches for the merchant: from now on it may act with money
    (sell vouchers and take cash for them, join the town voucher, redeem vouchers, issue
    invoices). Registration is open to anyone; this is the association's decision."""

    event_name: ClassVar[str] = "MerchantApproved"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID


@registry.register
class MerchantApprovalWithdrawn(CatalogEvent):
    """The association no longer vouches for the merchant: it acts with money no more (its
    listing stays, unless it is also suspended)."""

    event_name: ClassVar[str] = "MerchantApprovalWithdrawn"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID
    reason: EventLine = Field(min_length=1, max_length=500)


@registry.register
class MerchantTokensRevoked(CatalogEvent):
    """Every token of the merchant issued before ``revoked_at`` is void, in every service:
    the association replaced a lost or stolen one."""

    event_name: ClassVar[str] = "MerchantTokensRevoked"
    schema_version: ClassVar[int] = 1
    merchant_id: UUID
    revoked_at: AwareDatetime


# --- offer -----------------------------------------------------------------------------


@registry.register
class OfferListed(CatalogEvent):
    """A product (with optional stock; ``None`` = not counted) or a bookable service."""

    event_name: ClassVar[str] = "OfferListed"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    merchant_id: UUID
    kind: OfferKind
    title: EventLine = Field(max_length=120)
    description: EventText = Field(default="", max_length=4000)
    category: EventLine = Field(default="", max_length=60)
    price_cents: int = Field(ge=0)
    currency: Currency = "EUR"
    stock: int | None = Field(default=None, ge=0)
    duration_minutes: int | None = Field(default=None, gt=0)
    weekly_availability: list[TimeWindow] = Field(default_factory=list)
    vat_percent: VatPercent | None = Field(
        default=None,
        description="the VAT rate the price includes, 7 or 19; null in offers listed before offers carried "
        "one (the town's configured rates then decide)",
    )
    held: Held = Field(
        default="in_person",
        description="a service held in person or by video (a video consultation, with a meeting link); "
        "a product is always in_person. Kind stays product or service, so readers of kind keep working.",
    )


@registry.register
class OfferDetailsChanged(CatalogEvent):
    event_name: ClassVar[str] = "OfferDetailsChanged"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    merchant_id: UUID
    title: EventLine = Field(max_length=120)
    description: EventText = Field(default="", max_length=4000)
    category: EventLine = Field(default="", max_length=60)


@registry.register
class OfferPriceChanged(CatalogEvent):
    event_name: ClassVar[str] = "OfferPriceChanged"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    merchant_id: UUID
    price_cents: int = Field(ge=0)
    previous_price_cents: int = Field(ge=0)
    currency: Currency = "EUR"


@registry.register
class OfferVatRateChanged(CatalogEvent):
    """The merchant changed the VAT rate the offer's price includes (the price stays)."""

    event_name: ClassVar[str] = "OfferVatRateChanged"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    merchant_id: UUID
    vat_percent: VatPercent
    previous_vat_percent: VatPercent | None = None


@registry.register
class OfferPhotoAdded(CatalogEvent):
    """A photo, stored content-addressed: ``photo_id`` is the SHA-256 of the cleaned image."""

    event_name: ClassVar[str] = "OfferPhotoAdded"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    merchant_id: UUID
    photo_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    variants: list[PhotoVariant]


@registry.register
class OfferStockAdjusted(CatalogEvent):
    event_name: ClassVar[str] = "OfferStockAdjusted"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    merchant_id: UUID
    delta: int
    stock: int = Field(ge=0)
    reason: EventLine = Field(default="", max_length=200)


@registry.register
class OfferWithdrawn(CatalogEvent):
    event_name: ClassVar[str] = "OfferWithdrawn"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    merchant_id: UUID
    kind: OfferKind
    reason: EventLine = Field(default="", max_length=200)


# --- reservations for orders (the catalog's part of the order saga) -------------------


class Slot(ValueObject):
    """A booked time of a bookable service."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime


@registry.register
class OfferSlotBooked(CatalogEvent):
    """A service's time is taken by an order; no other order can hold it."""

    event_name: ClassVar[str] = "OfferSlotBooked"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    merchant_id: UUID
    order_id: UUID
    slot: Slot


@registry.register
class OfferSlotReleased(CatalogEvent):
    event_name: ClassVar[str] = "OfferSlotReleased"
    schema_version: ClassVar[int] = 1
    offer_id: UUID
    merchant_id: UUID
    order_id: UUID
    slot: Slot


class ReservedLine(ValueObject):
    offer_id: UUID
    quantity: int = Field(ge=1)
    slot: Slot | None = None


ReservationRefusal = Literal["out_of_stock", "slot_taken", "offer_unavailable", "merchant_unavailable"]


@registry.register
class OrderReservationMade(CatalogEvent):
    """Every line of an order is reserved (stock taken by ``OfferStockAdjusted``, slots by
    ``OfferSlotBooked``), all or none. Keyed by ``reservation_id`` (one per order)."""

    event_name: ClassVar[str] = "OrderReservationMade"
    schema_version: ClassVar[int] = 1
    reservation_id: UUID
    order_id: UUID
    merchant_id: UUID
    lines: list[ReservedLine] = Field(min_length=1)


@registry.register
class OrderReservationRefused(CatalogEvent):
    """Nothing of the order was reserved: a line could not be (``offer_id`` says which)."""

    event_name: ClassVar[str] = "OrderReservationRefused"
    schema_version: ClassVar[int] = 1
    reservation_id: UUID
    order_id: UUID
    merchant_id: UUID
    offer_id: UUID | None = None
    reason: ReservationRefusal
    detail: EventLine = Field(default="", max_length=500)


@registry.register
class OrderReservationReleased(CatalogEvent):
    """The order ended without being fulfilled: its stock and slots are free again."""

    event_name: ClassVar[str] = "OrderReservationReleased"
    schema_version: ClassVar[int] = 1
    reservation_id: UUID
    order_id: UUID
    merchant_id: UUID


RESERVATION_EVENTS = (OrderReservationMade, OrderReservationRefused, OrderReservationReleased)


MERCHANT_EVENTS = (
    MerchantRegistered,
    MerchantProfileChanged,
    OpeningHoursChanged,
    MerchantClosed,
    MerchantReopened,
    MerchantAvailabilityNoted,
    MerchantSuspended,
    MerchantReinstated,
    MerchantTokensRevoked,
)
OFFER_EVENTS = (
    OfferListed,
    OfferDetailsChanged,
    OfferPriceChanged,
    OfferPhotoAdded,
    OfferStockAdjusted,
    OfferWithdrawn,
    OfferVatRateChanged,
)
