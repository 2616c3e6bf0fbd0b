# SPDX-License-Identifier: AGPL-3.0-or-later
"""Request and response bodies of the set-up routes: their own models, never the aggregates.

Every number is finite and bounded, every text one line without control characters, every
list capped: a body that fails is a 422 naming the field, and nothing is written.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from downtown_events.dispatch import FeePayer, FeePricing, SlotKind, VehicleKind
from downtown_events.geo import GeoPoint
from downtown_events.runtime.http.fields import Email
from downtown_events.text import SingleLine

Cents = Annotated[int, Field(ge=0, le=100_000, strict=True)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PointIn(Body):
    """A point on the earth (WGS 84 degrees)."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)

    def to_geo(self) -> GeoPoint:
        return GeoPoint(lat=self.lat, lon=self.lon)


class CourierServiceIn(Body):
    name: SingleLine = Field(min_length=1, max_length=120)
    phone: SingleLine = Field(default="", max_length=40)


class CourierIn(Body):
    display_name: SingleLine = Field(min_length=1, max_length=60, description="what recipients see, e.g. a first name")
    vehicle: VehicleKind
    capacity: int = Field(ge=1, le=200, strict=True, description="parcels the vehicle carries")
    email: Email | None = Field(
        default=None, description="where the courier's one-time sign-in links go (kept private; never published)"
    )


class ShiftIn(Body):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    start: PointIn = Field(description="where the courier starts (the depot)")


class DropOutIn(Body):
    at: AwareDatetime | None = Field(default=None, description="when the courier stopped (default: now)")
    position: PointIn | None = Field(default=None, description="where the courier stopped, if known")


class ZoneIn(Body):
    name: SingleLine = Field(min_length=1, max_length=80)
    polygon: list[PointIn] = Field(default_factory=list, max_length=500)
    postal_codes: list[Annotated[SingleLine, Field(min_length=1, max_length=10)]] = Field(
        default_factory=list, max_length=500
    )


class FeeIn(Body):
    pricing: FeePricing
    cents: Cents = 0
    base_cents: Cents = 0
    per_km_cents: Cents = 0
    cap_cents: Cents | None = None
    paid_by: FeePayer = "customer"
    free_above_cents: Annotated[int, Field(ge=0, le=100_000_000, strict=True)] | None = None


class SlotIn(Body):
    weekday: int = Field(ge=0, le=6, strict=True, description="0 is Monday")
    starts: time = Field(description="the town's wall clock, HH:MM")
    ends: time
    capacity: int = Field(ge=1, le=10_000, strict=True)
    kind: SlotKind = "standard"
    label: SingleLine = Field(default="", max_length=80)
    fee: FeeIn | None = None


class TermsIn(Body):
    courier_service_id: UUID
    zones: list[ZoneIn] = Field(min_length=1, max_length=20)
    fee: FeeIn
    slots: list[SlotIn] = Field(min_length=1, max_length=200)
    lead_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60, strict=True)
    attempts: int = Field(default=2, ge=1, le=5, strict=True)

    def parts(self) -> dict[str, Any]:
        """The terms as the domain takes them (plain values, validated again by the contract)."""
        dumped = self.model_dump(mode="json")
        return {key: dumped[key] for key in ("zones", "fee", "slots")}


class CourierServiceCreated(BaseModel):
    courier_service_id: UUID
    name: str
    phone: str


class CourierOut(BaseModel):
    courier_id: UUID
    courier_service_id: UUID
    display_name: str
    vehicle: str
    capacity: int
    active: bool


class ShiftOut(BaseModel):
    shift_id: UUID
    courier_id: UUID
    starts_at: datetime
    ends_at: datetime
    start: GeoPoint
    dropped_out_at: datetime | None = None
    drop_out_position: GeoPoint | None = Field(default=None, description="where the courier stopped, if said")


class CourierServiceOut(BaseModel):
    courier_service_id: UUID
    name: str
    phone: str
    couriers: list[CourierOut]
    shifts: list[ShiftOut] = Field(description="shifts not yet over, the earliest first")


class DroppedOut(BaseModel):
    courier_id: UUID
    at: datetime


class CourierTokenOut(BaseModel):
    token: str
    expires_at: datetime
