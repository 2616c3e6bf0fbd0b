# SPDX-License-Identifier: AGPL-3.0-or-later
"""Request and response bodies of the catalog API (never the domain objects themselves)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, WithJsonSchema, field_validator

from catalog.domain.merchant import Merchant
from catalog.domain.offer import Offer
from downtown_events.catalog import TAX_NUMBER_PATTERN, MerchantProfile, TimeWindow
from downtown_events.money import format_money
from downtown_events.text import MultiLine, SingleLine


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _local(moment: time) -> time:
    if moment.tzinfo is not None:
        raise ValueError("give the local time of the town without a time zone, e.g. 09:00")
    return moment


LocalTime = Annotated[
    time,
    AfterValidator(_local),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
            "description": "The town's wall-clock time, HH:MM or HH:MM:SS, without a zone.",
        }
    ),
]


class TimeWindowIn(TimeWindow):
    """Opening or bookable hours as the town's wall-clock time: a zone would make them
    incomparable with the others (and a shop's hours do not move with the client's zone)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    opens: LocalTime = Field(examples=["09:00"])
    closes: LocalTime = Field(examples=["18:30"])


def windows(items: Sequence[TimeWindow]) -> tuple[TimeWindow, ...]:
    """As the contract's own type, so that they compare equal to the hours already stored."""
    return tuple(TimeWindow(weekday=item.weekday, opens=item.opens, closes=item.closes) for item in items)


class AddressIn(Request):
    street: SingleLine = Field(min_length=1, max_length=200, examples=["Hauptstraße 12"])
    postal_code: SingleLine = Field(min_length=3, max_length=10, examples=["48624"])
    city: SingleLine = Field(min_length=1, max_length=100, examples=["Schöppingen"])


class ProfileIn(Request):
    name: SingleLine = Field(min_length=1, max_length=120, examples=["Weinhandlung Böckmann"])
    category: SingleLine = Field(min_length=1, max_length=60, examples=["Wein & Spirituosen"])
    address: AddressIn
    phone: SingleLine = Field(
        min_length=3, max_length=40, pattern=r"^\+?[0-9][0-9 ()/.\-]*$", examples=["+49 2555 1234"]
    )
    email: SingleLine = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, examples=["info@boeckmann.de"])
    video_consultation_url: HttpUrl | None = None
    offers_delivery: bool = False
    offers_pickup: bool = True
    sells_vouchers: bool = False
    tax_number: SingleLine | None = Field(
        default=None,
        max_length=20,
        pattern=TAX_NUMBER_PATTERN,
        examples=["DE123456789"],
        description="the VAT id (DE123456789) or Steuernummer (12/345/67890) for the invoices of orders paid "
        "on invoice; spaces are dropped and letters capitalised, an empty value means none",
    )

    @field_validator("tax_number", mode="before")
    @classmethod
    def _tax_number_as_printed(cls, value: Any) -> Any:
        """ "de 123 456 789" as it is written on letterheads is "DE123456789"."""
        if isinstance(value, str):
            return "".join(value.split()).upper() or None
        return value

    def to_profile(self) -> MerchantProfile:
        return MerchantProfile.model_validate(self.model_dump())


class MerchantRegistration(ProfileIn):
    opening_hours: list[TimeWindowIn] = Field(default_factory=list, max_length=50)


class OpeningHoursIn(Request):
    opening_hours: list[TimeWindowIn] = Field(max_length=50)


class ClosingIn(Request):
    note: SingleLine = Field(default="", max_length=200, examples=["Urlaub bis 3. Januar"])


class SuspensionIn(Request):
    reason: SingleLine = Field(min_length=1, max_length=500)


class ApprovalWithdrawalIn(Request):
    reason: SingleLine = Field(min_length=1, max_length=500)


class MerchantOut(BaseModel):
    merchant_id: UUID
    profile: MerchantProfile
    opening_hours: list[TimeWindow]
    closed: bool
    suspended: bool
    approved: bool = Field(
        description="the town's association vouches for this merchant: it may sell and redeem vouchers, "
        "take cash for them and issue invoices; registration alone does not allow that"
    )
    version: int

    @classmethod
    def of(cls, merchant: Merchant) -> MerchantOut:
        return cls(
            merchant_id=merchant.merchant_id,
            profile=merchant.profile,
            opening_hours=list(merchant.opening_hours),
            closed=merchant.closed,
            suspended=merchant.suspended,
            approved=merchant.approved,
            version=merchant.version,
        )


class MerchantWithToken(BaseModel):
    merchant: MerchantOut
    token: str | None = Field(
        description="Bearer token for this merchant's later calls; keep it secret. Only the answer that "
        "registers the merchant carries it: a repeated request (same Idempotency-Key) gets null, "
        "and a lost token is replaced by the town's association."
    )


class MerchantToken(BaseModel):
    token: str = Field(description="A fresh bearer token for the merchant; hand it over in person or by phone.")


Price = Annotated[
    SingleLine, Field(max_length=30, examples=["12,90"], description="Euros: 12,90 or 12.90 (or 1.234,50)")
]


class ServiceListingIn(Request):
    title: SingleLine = Field(min_length=1, max_length=120, examples=["Englisch-Nachhilfe (60 min)"])
    description: MultiLine = Field(default="", max_length=4000)
    category: SingleLine = Field(default="", max_length=60)
    price: Price
    duration_minutes: int = Field(gt=0, le=24 * 60)
    weekly_availability: list[TimeWindowIn] = Field(min_length=1, max_length=50)


class PriceIn(Request):
    price: Price


class DetailsIn(Request):
    title: SingleLine = Field(min_length=1, max_length=120)
    description: MultiLine = Field(default="", max_length=4000)
    category: SingleLine = Field(default="", max_length=60)


class StockAdjustmentIn(Request):
    delta: int = Field(ge=-100_000, le=100_000, description="positive: goods in; negative: goods out")
    reason: SingleLine = Field(default="", max_length=200)


class WithdrawalIn(Request):
    reason: SingleLine = Field(default="", max_length=200)


class OfferOut(BaseModel):
    offer_id: UUID
    merchant_id: UUID
    kind: str
    title: str
    price_cents: int
    price: str
    stock: int | None
    photos: list[str]
    withdrawn: bool
    version: int

    @classmethod
    def of(cls, offer: Offer) -> OfferOut:
        return cls(
            offer_id=offer.offer_id,
            merchant_id=offer.merchant_id,
            kind=offer.kind,
            title=offer.title,
            price_cents=offer.price_cents,
            price=format_money(offer.price_cents, "de"),
            stock=offer.stock,
            photos=[f"/photos/{photo}/medium.jpg" for photo in offer.photos],
            withdrawn=offer.withdrawn,
            version=offer.version,
        )


class CatalogItem(BaseModel):
    """An offer as customers find it in the town catalog (read model)."""

    model_config = ConfigDict(extra="ignore")

    offer_id: UUID
    merchant_id: UUID
    merchant_name: str
    kind: str
    title: str
    description: str
    category: str
    price_cents: int
    price: str = ""
    currency: str
    stock: int | None
    duration_minutes: int | None
    photo: dict[str, str] | None = None
    offers_delivery: bool
    offers_pickup: bool
    listed_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> CatalogItem:
        photo_id = row.get("photo_id")
        photo = None
        if photo_id:
            photo = {
                variant["name"]: f"/photos/{photo_id}/{variant['name']}.jpg"
                for variant in row.get("photo_variants") or []
            }
        return cls.model_validate({**row, "price": format_money(row["price_cents"], "de"), "photo": photo})


class SearchResults(BaseModel):
    total: int
    items: list[CatalogItem]


class DirectoryEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    merchant_id: UUID
    name: str
    category: str
    street: str
    postal_code: str
    city: str
    phone: str
    email: str
    video_consultation_url: str | None
    opening_hours: list[dict[str, Any]]
    offers_delivery: bool
    offers_pickup: bool
    sells_vouchers: bool
    products: int
    services: int
    open_now: bool
    availability: str
