# SPDX-License-Identifier: AGPL-3.0-or-later
"""What a customer chooses at checkout, per merchant: how the order is fulfilled and paid;
and who the customer is. Plain values the API builds from its request and checkout checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal
from uuid import UUID

from downtown_events.catalog import Address
from downtown_events.geo import GeoPoint
from downtown_events.ordering import PaymentMethod, TimeSlot
from ordering.domain.courier_delivery import SlotRequest

Language = Literal["de", "en"]


@dataclass(frozen=True)
class DeliveryChoice:
    """By the town's couriers to this address (where the merchant delivers and a zone covers it).
    With dispatch's terms, ``pin`` is the door on the map and ``slot`` the delivery slot named
    (None: the next one offered)."""

    address: Address = field(repr=False)
    note: str = field(default="", repr=False)
    pin: GeoPoint | None = field(default=None, repr=False)
    slot: SlotRequest | None = None

    added_fields: ClassVar[frozenset[str]] = frozenset({"pin", "slot"})
    """Left at None, a checkout's fingerprint is what it was before they existed (a retry
    under an Idempotency-Key from before is still the same request)."""


@dataclass(frozen=True)
class PickupChoice:
    """In front of the shop in ``window``. An order of services alone needs no window: it
    takes place at the services' booked times."""

    window: TimeSlot | None = None


@dataclass(frozen=True)
class PaymentChoice:
    """``voucher_cents`` paid by the voucher authorised as ``voucher_authorization_id`` (at
    vouchers, before checkout), the rest by ``method``."""

    method: PaymentMethod
    voucher_authorization_id: UUID | None = None
    voucher_cents: int = 0


@dataclass(frozen=True)
class MerchantChoice:
    fulfilment: DeliveryChoice | PickupChoice
    payment: PaymentChoice


@dataclass(frozen=True)
class CustomerDetails:
    """Who orders: a guest (``guest_token_hash``, the SHA-256 of the token their order link
    carries) or a signed-in customer (``account_id``). An assisted order may have neither,
    and a phone number instead of an e-mail address."""

    name: str = field(repr=False)
    email: str | None = field(default=None, repr=False)
    phone: str = field(default="", repr=False)
    billing_address: Address | None = field(default=None, repr=False)
    account_id: UUID | None = None
    guest_token_hash: str | None = field(default=None, repr=False)
    language: Language = "de"
    """The language of the e-mails about the order."""


@dataclass(frozen=True)
class AssistedLine:
    """A line a merchant or the association enters for a customer who phoned: at today's price."""

    offer_id: UUID
    quantity: int
    slot: TimeSlot | None = None
