# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's settings: every service's (town, database, broker, ports, the town's shared
secrets) plus its own: the customer-token key, e-mail, and the town's trading rules."""

from __future__ import annotations

import json

from pydantic import Field, field_validator, model_validator

from downtown_events.runtime.identity import new_signing_key, public_key_of, trusted_keys
from downtown_events.runtime.secrets import check_secret
from downtown_events.runtime.settings import DeliveryHandoffSettings, MailSettings

SERVICE = "ordering"


class OrderingSettings(MailSettings, DeliveryHandoffSettings):
    token_signing_key: str = Field(
        default="", description="Ed25519 private key (base64url) for customer tokens; empty in development: a new one"
    )
    token_key_id: str = "ordering-1"
    customer_token_days: int = Field(default=30, ge=1, le=365)
    sign_in_link_minutes: int = Field(default=15, ge=1, le=24 * 60)
    public_url: str = Field(default="http://127.0.0.1:8000", description="where customers reach this API (links)")
    mail_from: str = "bestellungen@downtown.example"  # the kit's MailSettings: the SMTP server, the resend pause
    merchant_answer_minutes: float = Field(
        default=30,
        gt=0,
        le=7 * 24 * 60,
        description="how long a merchant has to accept, in minutes of its opening hours (fractions: tests, demos)",
    )
    merchant_answer_fallback_minutes: float = Field(
        default=24 * 60,
        gt=0,
        le=7 * 24 * 60,
        description="how long a shop that names no opening hours has to accept, in plain minutes",
    )
    saga_answer_minutes: float = Field(
        default=15,
        gt=0,
        le=24 * 60,
        description="how long the catalog and vouchers have to answer an order before it is rejected (timed_out)",
    )
    cancellation_grace_minutes: int = Field(default=15, ge=0, le=24 * 60)
    delivery_zones: str = Field(
        default='{"": 390}',
        description='JSON {"<postal code prefix>": <fee in cents>}; the longest matching prefix wins, "" is any; '
        "the town's delivery zones and fees until dispatch publishes the town's terms (which then decide)",
    )
    vat_rates: str = Field(
        default='{"": 19}', description='JSON {"<offer or merchant category>": <VAT %>}; "" is the standard rate'
    )
    pickup_horizon_days: int = Field(
        default=30, ge=1, le=366, description="how far ahead a pickup window may be chosen, in days"
    )
    booking_horizon_days: int = Field(
        default=365, ge=1, le=3 * 366, description="how far ahead a service may be booked, in days"
    )
    slot_hold_minutes: float = Field(
        default=10,
        gt=0,
        le=120,
        description="how long a service's time put in a basket is kept from other baskets (fractions: tests)",
    )
    guest_checkouts_per_client_hour: int = Field(
        default=20, ge=1, description="guest checkouts one client (address or IPv6 /64) may try per hour"
    )
    guest_checkouts_per_address_hour: int = Field(
        default=5, ge=1, description="guest checkouts per hour for one e-mail address, however it is spelt"
    )
    guest_units_per_offer: int = Field(
        default=20,
        ge=1,
        le=999,
        description="units of one counted product a guest checkout may reserve (signed-in customers: no cap)",
    )
    jitsi_base_url: str = Field(default="https://meet.jit.si", description="video consultations' meeting host")
    timer_job_seconds: float = Field(default=5.0, gt=0, description="how often merchants' answer times are checked")

    @field_validator("delivery_zones", "vat_rates")
    @classmethod
    def _json_of_integers(cls, text: str) -> str:
        parsed = json.loads(text)
        if not isinstance(parsed, dict) or not all(isinstance(v, int) and v >= 0 for v in parsed.values()):
            raise ValueError('must be a JSON object of "<key>": <non-negative integer>')
        return text

    @model_validator(mode="after")
    def _no_known_or_weak_secrets_in_production(self) -> OrderingSettings:
        if self.environment == "production":
            check_secret("DOWNTOWN_TOKEN_SIGNING_KEY", self.token_signing_key, min_length=43)
            check_secret("DOWNTOWN_ASSOCIATION_TOKEN", self.association_token, min_length=24)
        elif not self.token_signing_key:  # development: customer tokens last as long as the process
            self.token_signing_key = new_signing_key()
        public_key_of(self.token_signing_key)
        trusted_keys(self.trusted_token_keys)
        return self

    @property
    def zones(self) -> dict[str, int]:
        zones: dict[str, int] = json.loads(self.delivery_zones)
        return zones

    @property
    def vat_by_category(self) -> dict[str, int]:
        rates: dict[str, int] = json.loads(self.vat_rates)
        return rates
