"""What customers, merchants, the association, the scheduler and the saga ask the ordering
service to do (imperative names). Who asks comes from the request's principal and the time
from the handler's clock, never from the command. Personal data and secrets a command carries
(names, addresses, tokens) are left out of its ``repr``, so a command that reaches a log gives
nothing away."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from downtown_events.catalog import ReservationRefusal
from downtown_events.ordering import TimeSlot
from ordering.domain.choices import AssistedLine, CustomerDetails, MerchantChoice

# --- baskets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PutInBasket:
    """At the price ordering's replica shows now; a service names its slot. Put again, the
    line takes the new quantity and today's price (how a customer confirms a changed price)."""

    basket_id: UUID
    offer_id: UUID
    quantity: int
    slot: TimeSlot | None = None


@dataclass(frozen=True)
class ChangeQuantity:
    basket_id: UUID
    line_id: UUID
    quantity: int


@dataclass(frozen=True)
class RemoveFromBasket:
    basket_id: UUID
    line_id: UUID


@dataclass(frozen=True)
class CheckOut:
    """``choices``: per merchant of the basket, its fulfilment and payment."""

    basket_id: UUID
    customer: CustomerDetails
    choices: dict[UUID, MerchantChoice]
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PlaceAssistedOrder:
    """A merchant (for itself) or the association enters an order for a customer who phoned."""

    merchant_id: UUID
    lines: tuple[AssistedLine, ...]
    customer: CustomerDetails
    choice: MerchantChoice
    idempotency_key: str | None = None


# --- the merchant's answer and steps ------------------------------------------------------


@dataclass(frozen=True)
class AcceptOrder:
    order_id: UUID


@dataclass(frozen=True)
class DeclineOrder:
    order_id: UUID
    reason: str = ""


@dataclass(frozen=True)
class CancelOrder:
    """By the customer (in the grace period, before packing), the merchant or the association."""

    order_id: UUID
    reason: str = ""


@dataclass(frozen=True)
class MarkPacked:
    order_id: UUID


@dataclass(frozen=True)
class MarkReadyForPickup:
    order_id: UUID


@dataclass(frozen=True)
class HandOver:
    """``paid_cents``: what the customer paid at the shop (all that was due, or nothing)."""

    order_id: UUID
    paid_cents: int = 0


@dataclass(frozen=True)
class SendOutForDelivery:
    order_id: UUID


@dataclass(frozen=True)
class MarkDelivered:
    order_id: UUID
    paid_cents: int = 0


@dataclass(frozen=True)
class MarkDeliveryFailed:
    order_id: UUID
    reason: str = ""


@dataclass(frozen=True)
class IssueInvoice:
    order_id: UUID


# --- the scheduler and the saga ---------------------------------------------------------


@dataclass(frozen=True)
class TimeOutOrder:
    """The durable scheduler's call at the order's ``merchant_answer_by``."""

    order_id: UUID


@dataclass(frozen=True)
class RecordStockReserved:
    """From the catalog's ``OrderReservationMade``."""

    order_id: UUID
    reservation_id: UUID


@dataclass(frozen=True)
class RecordStockRefused:
    """From the catalog's ``OrderReservationRefused``."""

    order_id: UUID
    reservation_id: UUID
    reason: ReservationRefusal
    detail: str = ""


@dataclass(frozen=True)
class RecordVoucherRedeemed:
    """From vouchers' ``VoucherRedeemed`` naming the order."""

    order_id: UUID
    redemption_id: UUID
    voucher_cents: int


@dataclass(frozen=True)
class RecordVoucherRefused:
    """From vouchers' ``VoucherPaymentRefused``."""

    order_id: UUID
    reason: str = ""


@dataclass(frozen=True)
class AssignMeetingLink:
    """A confirmed video-consultation booking gets its room (drawn by the app)."""

    order_id: UUID
    offer_id: UUID
    slot: TimeSlot


# --- customer accounts ------------------------------------------------------------------


@dataclass(frozen=True)
class RequestSignInLink:
    email: str = field(repr=False)
    language: Literal["de", "en"] = "de"


@dataclass(frozen=True)
class SignIn:
    """The token from the e-mailed link; ``account_id`` from the same link."""

    account_id: UUID
    token: str = field(repr=False)
