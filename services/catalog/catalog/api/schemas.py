# SPDX-License-Identifier: AGPL-3.0-or-later
"""Request and response bodies of the catalog API (never the domain objects themselves)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, tzinfo
from typing import Annotated, Any, cast
from uuid import UUID

import babel.dates
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from catalog.api.weekdays import WEEKDAY_DESCRIPTION, named_windows
from catalog.domain.courier_delivery import CourierDelivery, FeeKind, FeeOffer
from catalog.domain.merchant import Merchant
from catalog.domain.offer import Offer
from catalog.domain.payment_details import checked_kind, normalised_bic, normalised_iban, normalised_tax_number
from downtown_events.catalog import BankAccount, Held, MerchantProfile, TaxNumberKind, TimeWindow, VatPercent
from downtown_events.delivery.slots import DeliverySlot, SlotKind
from downtown_events.geo import GeoPoint
from downtown_events.money import Language as MoneyLanguage
from downtown_events.money import format_money
from downtown_events.runtime.http.fields import Email
from downtown_events.runtime.http.sign_in import LinkToken, MailLanguage
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

    weekday: int = Field(ge=0, le=6, description=WEEKDAY_DESCRIPTION, examples=[0])

    opens: LocalTime = Field(examples=["09:00"])
    closes: LocalTime = Field(examples=["18:30"])


def windows(items: Sequence[TimeWindow]) -> tuple[TimeWindow, ...]:
    """As the contract's own type, so that they compare equal to the hours already stored."""
    return tuple(TimeWindow(weekday=item.weekday, opens=item.opens, closes=item.closes) for item in items)


class AddressIn(Request):
    street: SingleLine = Field(min_length=1, max_length=200, examples=["Hauptstraße 12"])
    postal_code: SingleLine = Field(min_length=3, max_length=10, examples=["48624"])
    city: SingleLine = Field(min_length=1, max_length=100, examples=["Schöppingen"])


class BankAccountIn(Request):
    iban: SingleLine = Field(
        max_length=50,
        examples=["DE89 3704 0044 0532 0130 00"],
        description="as written on a bank card or letter (spaces allowed); stored without them once its check "
        "digits and its country's length are right",
    )
    bic: SingleLine | None = Field(default=None, max_length=20, examples=["COBADEFFXXX"], description="8 or 11")
    account_holder: SingleLine | None = Field(
        default=None, max_length=70, description="whose account it is; empty: the merchant's name"
    )

    @field_validator("iban")
    @classmethod
    def _iban(cls, value: str) -> str:
        return normalised_iban(value)

    @field_validator("bic")
    @classmethod
    def _bic(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else normalised_bic(value)

    def to_account(self, merchant_name: str) -> BankAccount:
        # A SEPA name has at most 70 characters; a merchant's name may have 120.
        holder = (self.account_holder or "").strip() or merchant_name[:70].strip()
        return BankAccount(iban=self.iban, bic=self.bic, account_holder=holder)


class LocationIn(Request):
    """Where the shop's door is on the map (WGS 84 degrees, as a phone's map app gives them):
    couriers pick up there, and the town's delivery zones are drawn in the same degrees."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, strict=True, examples=[51.7993])
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, strict=True, examples=[7.4431])

    def to_point(self) -> GeoPoint:
        return GeoPoint(lat=self.lat, lon=self.lon)


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
        max_length=30,
        examples=["DE123456789"],
        description="the USt-IdNr (DE and 9 digits) or Steuernummer (10 to 13 digits, e.g. 12/345/67890) for "
        "the invoices of orders paid on invoice; spaces are dropped and letters capitalised, an empty value "
        "means none",
    )
    tax_number_kind: TaxNumberKind | None = Field(
        default=None, description="which of the two tax_number is; left out, its form says"
    )
    bank_account: BankAccountIn | None = Field(
        default=None, description="the account the invoices ask customers to pay into"
    )
    location: LocationIn | None = Field(
        default=None,
        description="the shop's door on the map (lat, lon in degrees): where couriers pick up, and what "
        "tells whether the town's couriers deliver for the shop; left out or null: not set",
    )

    @field_validator("tax_number", mode="before")
    @classmethod
    def _tax_number_as_printed(cls, value: Any) -> Any:
        """ "de 123 456 789" as it is written on letterheads is "DE123456789"."""
        if isinstance(value, str):
            return "".join(value.split()).upper() or None
        return value

    @field_validator("tax_number")
    @classmethod
    def _tax_number(cls, value: str | None) -> str | None:
        return None if value is None else normalised_tax_number(value)

    @model_validator(mode="after")
    def _kind_matches_number(self) -> ProfileIn:
        if self.tax_number is None and self.tax_number_kind is not None:
            raise ValueError("tax_number_kind was given without a tax_number: give the number too, or neither")
        if self.tax_number is not None:
            checked_kind(self.tax_number, self.tax_number_kind)
        return self

    def to_profile(self) -> MerchantProfile:
        """The profile as asked: a kind left out stays out here (the domain records it), so
        the request prints as one from before kinds existed (its Idempotency-Key still holds)."""
        fields = self.model_dump(exclude={"bank_account", "location"})
        account = None if self.bank_account is None else self.bank_account.to_account(self.name)
        location = None if self.location is None else self.location.to_point()
        return MerchantProfile.model_validate({**fields, "bank_account": account, "location": location})


class MerchantRegistration(ProfileIn):
    opening_hours: list[TimeWindowIn] = Field(default_factory=list, max_length=50)


class OpeningHoursIn(Request):
    opening_hours: list[TimeWindowIn] = Field(max_length=50)


class ClosingIn(Request):
    note: SingleLine = Field(default="", max_length=200, examples=["Urlaub bis 3. Januar"])


class AvailabilityNoteIn(Request):
    note: SingleLine = Field(
        min_length=1,
        max_length=200,
        examples=["Heute ab 14 Uhr nur Abholung"],
        description="one line for customers, shown in the directory today only (clear it with DELETE)",
    )


class AvailabilityNoteOut(BaseModel):
    note: str = Field(examples=["Heute ab 14 Uhr nur Abholung"])
    for_day: date = Field(description="the town's date it is shown on; the directory shows it on no other")


class SuspensionIn(Request):
    reason: SingleLine = Field(min_length=1, max_length=500)


class ApprovalWithdrawalIn(Request):
    reason: SingleLine = Field(min_length=1, max_length=500)


class OpeningWindowOut(BaseModel):
    """An opening window as people read it: the weekday as a number and by name (in the
    reader's language: ``lang``, else ``Accept-Language``, else German)."""

    weekday: int = Field(ge=0, le=6, description=WEEKDAY_DESCRIPTION)
    weekday_name: str = Field(examples=["Montag"], description="the weekday in the reader's language")
    opens: str = Field(examples=["09:00:00"])
    closes: str = Field(examples=["18:30:00"])


class MerchantOut(BaseModel):
    merchant_id: UUID
    profile: MerchantProfile
    iban_grouped: str | None = Field(
        default=None,
        examples=["DE89 3704 0044 0532 0130 00"],
        description="the profile's IBAN in groups of four, as its invoices print it",
    )
    opening_hours: list[OpeningWindowOut]
    closed: bool
    availability_note: AvailabilityNoteOut | None = Field(
        default=None, description="the last note for customers the merchant set, and its day (null: none, or cleared)"
    )
    suspended: bool
    approved: bool = Field(
        description="the town's association vouches for this merchant: it may sell and redeem vouchers, "
        "take cash for them and issue invoices; registration alone does not allow that"
    )
    version: int

    @classmethod
    def of(cls, merchant: Merchant, language: str = "de") -> MerchantOut:
        """The merchant as its own answers show it, weekdays named in ``language``."""
        hours = [window.model_dump(mode="json") for window in merchant.opening_hours]
        return cls(
            merchant_id=merchant.merchant_id,
            profile=merchant.profile,
            iban_grouped=None if merchant.profile.bank_account is None else merchant.profile.bank_account.grouped_iban,
            opening_hours=[OpeningWindowOut.model_validate(window) for window in named_windows(hours, language)],
            closed=merchant.closed,
            availability_note=None
            if not merchant.availability_note or merchant.availability_day is None
            else AvailabilityNoteOut(note=merchant.availability_note, for_day=merchant.availability_day),
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


class SignInLinkIn(Request):
    email: Email = Field(description="the e-mail address the merchant's profile names")
    language: MailLanguage = Field(default="de", description="the language of the mail")


class SignInLinkSent(BaseModel):
    detail: str = Field(description="the same words whether or not a merchant has this address")


class SessionIn(Request):
    merchant_id: UUID = Field(description="`merchant` of the link")
    token: LinkToken = Field(description="`token` of the link")


class SessionOut(BaseModel):
    token: str = Field(description="the merchant's bearer token: send as 'Authorization: Bearer <token>'")
    merchant_id: UUID
    expires_in_seconds: int


VAT_DESCRIPTION = (
    "the VAT rate the price includes, 7 or 19 (percent); left out, German law's default for the "
    "offer's category: 7 for food, books, newspapers, flowers and plants …, 19 for everything else"
)


def _vat_rate(value: int) -> int:
    if value not in (7, 19):
        raise ValueError("the VAT rate is 7 or 19 (percent)")
    return value


FormVatPercent = Annotated[int, AfterValidator(_vat_rate), WithJsonSchema({"type": "integer", "enum": [7, 19]})]
"""The VAT rate as a form field sends it (text: "7"), which a ``Literal[7, 19]`` would refuse."""


def as_vat_percent(value: int | None) -> VatPercent | None:
    """A :data:`FormVatPercent`, validated to be 7 or 19, as the contract's type."""
    return cast("VatPercent | None", value)


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
    vat_percent: VatPercent | None = Field(default=None, description=VAT_DESCRIPTION)
    held: Held = Field(
        default="in_person",
        description="in_person, or video: a video consultation (needs the profile's video_consultation_url; "
        "its orders get the meeting link)",
    )


class PriceIn(Request):
    price: Price


class VatRateIn(Request):
    vat_percent: VatPercent = Field(description="7 or 19: the rate the offer's price includes from now on")


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
    held: Held = Field(description="a service in_person or by video (a video consultation); products in_person")
    title: str
    category: str
    price_cents: int
    price: str
    vat_percent: int | None = Field(
        description="the VAT rate the price includes (null: listed before offers carried one)"
    )
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
            held=offer.held,
            title=offer.title,
            category=offer.category,
            price_cents=offer.price_cents,
            price=format_money(offer.price_cents, "de"),
            vat_percent=offer.vat_percent,
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
    held: Held = "in_person"
    title: str
    description: str
    category: str
    price_cents: int
    price: str = ""
    vat_percent: int | None = Field(
        default=None, description="the VAT rate the price includes (null: listed before offers carried one)"
    )
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
        held = row.get("held") or "in_person"  # null in a row written before offers were held by video
        return cls.model_validate(
            {**row, "held": held, "price": format_money(row["price_cents"], "de"), "photo": photo}
        )


class SearchResults(BaseModel):
    total: int
    items: list[CatalogItem]


class DeliverySlotOut(BaseModel):
    """A delivery slot of the town's couriers, on the town's clock."""

    starts_at: datetime = Field(description="with the town's UTC offset")
    ends_at: datetime
    kind: SlotKind = Field(description="standard, or town_round: a town delivery round, often cheaper")
    label: str = Field(description="the town's name for it, e.g. a round's (may be empty)")
    text: str = Field(
        examples=["Dienstag, 8. Dezember 2026, 16:00–18:00"], description="the slot in the reader's language"
    )

    @classmethod
    def of(cls, slot: DeliverySlot, zone: tzinfo, language: str, gettext: Callable[[str], str]) -> DeliverySlotOut:
        starts, ends = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
        text = gettext("%(day)s, %(starts)s–%(ends)s") % {
            "day": babel.dates.format_date(starts, "full", locale=language),
            "starts": babel.dates.format_time(starts, "short", locale=language),
            "ends": babel.dates.format_time(ends, "short", locale=language),
        }
        return cls(starts_at=starts, ends_at=ends, kind=slot.kind, label=slot.label, text=text)


class CourierDeliveryOut(BaseModel):
    """The town's couriers deliver for this merchant: what a customer reads before checkout.
    The fee is the town's rule for a door in its zones (the checkout prices the door and the
    basket); the next slot is the first to start after the terms' lead time from now, however
    full it is (the checkout offers the slots with room)."""

    zone_id: UUID = Field(description="the zone of the town's delivery terms the shop lies in")
    zone: str = Field(examples=["Innenstadt"], description="its name")
    delivers_to: list[str] = Field(description="the zones the town's couriers deliver to, by name")
    fee: str = Field(
        examples=["Lieferung ab 3,50 €, kostenlos ab 50,00 € Einkaufswert"],
        description="the delivery fee in the reader's language",
    )
    fee_kind: FeeKind = Field(description="free; flat: fee_cents; from: by distance, at least fee_cents")
    fee_cents: int = Field(ge=0)
    free_above_cents: int | None = Field(description="from this value of goods delivery is free (null: never)")
    next_slot: DeliverySlotOut | None = Field(description="null: the terms have no slot in the next two weeks")

    @classmethod
    def of(cls, delivery: CourierDelivery, language: str, gettext: Callable[[str], str]) -> CourierDeliveryOut:
        town, fee = delivery.town, delivery.town.fee
        slot = town.next_slot
        return cls(
            zone_id=delivery.zone.zone_id,
            zone=delivery.zone.name,
            delivers_to=list(town.zone_names),
            fee=fee_text(fee, language, gettext),
            fee_kind=fee.kind,
            fee_cents=fee.cents,
            free_above_cents=fee.free_above_cents,
            next_slot=None if slot is None else DeliverySlotOut.of(slot, town.timezone, language, gettext),
        )


def fee_text(fee: FeeOffer, language: str, gettext: Callable[[str], str]) -> str:
    """The fee as the reader's language says it, the amounts as its readers write money."""
    if fee.kind == "free":
        return gettext("free delivery")
    amounts = {"fee": format_money(fee.cents, _money_language(language))}
    if fee.free_above_cents is None:
        message = gettext("delivery %(fee)s") if fee.kind == "flat" else gettext("delivery from %(fee)s")
        return message % amounts
    amounts["threshold"] = format_money(fee.free_above_cents, _money_language(language))
    if fee.kind == "flat":
        return gettext("delivery %(fee)s, free on orders from %(threshold)s") % amounts
    return gettext("delivery from %(fee)s, free on orders from %(threshold)s") % amounts


def _money_language(language: str) -> MoneyLanguage:
    return "en" if language == "en" else "de"


class MerchantContact(BaseModel):
    """Who a merchant is and how to reach it: what the directory and the members' list share."""

    model_config = ConfigDict(extra="ignore")

    merchant_id: UUID
    name: str
    category: str
    street: str
    postal_code: str
    city: str
    phone: str
    email: str


class MemberOut(MerchantContact):
    """A member as the association knows it: contact details and its standing, suspended or not."""

    approved: bool | None = Field(
        description="the association vouches for the merchant: it may act with money (vouchers, invoices); "
        "null: not known here yet, the directory was written before it kept approvals (rebuild the "
        "town_directory projection once, see the README's status)"
    )
    suspended: bool = Field(description="taken off the high street by the association")
    suspension_reason: str | None = Field(
        default=None, description="why, as the association said; null when not suspended or not known"
    )
    closed: bool = Field(description="closed for now by the merchant (holiday, illness)")
    closed_note: str
    registered_at: datetime


class DirectoryEntry(MerchantContact):
    video_consultation_url: str | None
    opening_hours: list[OpeningWindowOut]
    offers_delivery: bool
    offers_pickup: bool
    sells_vouchers: bool
    location: GeoPoint | None = Field(
        default=None, description="the shop's door on the map (null: the merchant has not set it)"
    )
    products: int
    services: int
    open_now: bool
    availability: str = Field(description="how customers get something from the merchant, in the reader's language")
    availability_note: str | None = Field(
        default=None,
        examples=["Heute ab 14 Uhr nur Abholung"],
        description="the merchant's own note for customers today (the town's date), as written; null: none today",
    )
    courier_delivery: CourierDeliveryOut | None = Field(
        default=None,
        description="the town's couriers deliver for this merchant: to which zones, at what fee, from when; "
        "null when they do not (the merchant offers no delivery, its shop lies in none of the town's zones or "
        "has no location, or the town has no couriers' terms yet)",
    )
