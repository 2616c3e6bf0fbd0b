"""Request and response bodies of the catalog API (never the domain objects themselves)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from catalog.domain.merchant import Merchant
from catalog.domain.money import format_price
from catalog.domain.offer import Offer
from downtown_events.catalog import Address, MerchantProfile, TimeWindow


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileIn(Request):
    name: str = Field(min_length=1, max_length=120, examples=["Weinhandlung Böckmann"])
    category: str = Field(min_length=1, max_length=60, examples=["Wein & Spirituosen"])
    address: Address
    phone: str = Field(min_length=3, max_length=40, examples=["+49 2555 1234"])
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, examples=["info@boeckmann.de"])
    video_consultation_url: HttpUrl | None = None
    offers_delivery: bool = False
    offers_pickup: bool = True
    sells_vouchers: bool = False

    def to_profile(self) -> MerchantProfile:
        return MerchantProfile.model_validate(self.model_dump())


class MerchantRegistration(ProfileIn):
    opening_hours: list[TimeWindow] = Field(default_factory=list, max_length=50)


class OpeningHoursIn(Request):
    opening_hours: list[TimeWindow] = Field(max_length=50)


class ClosingIn(Request):
    note: str = Field(default="", max_length=200, examples=["Urlaub bis 3. Januar"])


class SuspensionIn(Request):
    reason: str = Field(min_length=1, max_length=500)


class MerchantOut(BaseModel):
    merchant_id: UUID
    profile: MerchantProfile
    opening_hours: list[TimeWindow]
    closed: bool
    suspended: bool
    version: int

    @classmethod
    def of(cls, merchant: Merchant) -> MerchantOut:
        return cls(
            merchant_id=merchant.merchant_id,
            profile=merchant.profile,
            opening_hours=list(merchant.opening_hours),
            closed=merchant.closed,
            suspended=merchant.suspended,
            version=merchant.version,
        )


class MerchantWithToken(BaseModel):
    merchant: MerchantOut
    token: str = Field(description="Bearer token for this merchant's later calls; keep it secret.")


class ServiceListingIn(Request):
    title: str = Field(min_length=1, max_length=120, examples=["Englisch-Nachhilfe (60 min)"])
    description: str = Field(default="", max_length=4000)
    category: str = Field(default="", max_length=60)
    price: str = Field(examples=["35,00"], description="Euros, decimal comma or point")
    duration_minutes: int = Field(gt=0, le=24 * 60)
    weekly_availability: list[TimeWindow] = Field(min_length=1, max_length=50)


class PriceIn(Request):
    price: str = Field(examples=["12,90"])


class DetailsIn(Request):
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=4000)
    category: str = Field(default="", max_length=60)


class StockAdjustmentIn(Request):
    delta: int = Field(ge=-100_000, le=100_000, description="positive: goods in; negative: goods out")
    reason: str = Field(default="", max_length=200)


class WithdrawalIn(Request):
    reason: str = Field(default="", max_length=200)


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
            price=format_price(offer.price_cents),
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
        return cls.model_validate({**row, "price": format_price(row["price_cents"]), "photo": photo})


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
