# SPDX-License-Identifier: AGPL-3.0-or-later
"""What merchants and the association ask the catalog to do (imperative names)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar
from uuid import UUID

from catalog.domain.offer import OfferDetails
from downtown_events.catalog import Held, MerchantProfile, TimeWindow, VatPercent

_ADDED_TO_LISTINGS = frozenset({"vat_percent", "held"})
"""Fields a listing gained after requests were first stored under an Idempotency-Key: at
their defaults they leave a request's fingerprint what it was before (a retry across the
upgrade is still the same request; the kit's ``fingerprint`` honours ``added_fields``)."""


@dataclass(frozen=True)
class RegisterMerchant:
    profile: MerchantProfile
    opening_hours: tuple[TimeWindow, ...] = ()
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ChangeProfile:
    profile: MerchantProfile


@dataclass(frozen=True)
class ChangeOpeningHours:
    opening_hours: tuple[TimeWindow, ...]


@dataclass(frozen=True)
class CloseShop:
    note: str = ""


@dataclass(frozen=True)
class NoteAvailability:
    """The day's note for customers; ``note`` empty clears it."""

    note: str
    day: date


@dataclass(frozen=True)
class SuspendMerchant:
    merchant_id: UUID
    reason: str


@dataclass(frozen=True)
class ListProduct:
    details: OfferDetails
    price_cents: int
    photo: bytes
    stock: int | None = None
    idempotency_key: str | None = None
    vat_percent: VatPercent | None = None
    """None: the rate German law gives the offer's category (``catalog.domain.vat``)."""
    added_fields: ClassVar[frozenset[str]] = _ADDED_TO_LISTINGS


@dataclass(frozen=True)
class ListService:
    details: OfferDetails
    price_cents: int
    duration_minutes: int
    availability: tuple[TimeWindow, ...] = field(default_factory=tuple)
    idempotency_key: str | None = None
    vat_percent: VatPercent | None = None
    held: Held = "in_person"
    added_fields: ClassVar[frozenset[str]] = _ADDED_TO_LISTINGS


@dataclass(frozen=True)
class ChangePrice:
    offer_id: UUID
    price_cents: int


@dataclass(frozen=True)
class ChangeVatRate:
    offer_id: UUID
    vat_percent: VatPercent


@dataclass(frozen=True)
class ChangeOfferDetails:
    offer_id: UUID
    details: OfferDetails


@dataclass(frozen=True)
class AddPhoto:
    offer_id: UUID
    photo: bytes


@dataclass(frozen=True)
class AdjustStock:
    offer_id: UUID
    delta: int
    reason: str = ""


@dataclass(frozen=True)
class WithdrawOffer:
    offer_id: UUID
    reason: str = ""
