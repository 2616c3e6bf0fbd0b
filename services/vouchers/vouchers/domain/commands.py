# SPDX-License-Identifier: AGPL-3.0-or-later
"""What merchants, buyers, the association and the payment provider ask the vouchers service
to do (imperative names). Who asks comes from the request's principal, and the time from the
handler's clock, never from the command. Secrets a command carries (a code, an e-mail address)
are left out of its ``repr``, so a command that reaches a log gives nothing away."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from downtown_events.vouchers import PaymentMethod, ProgrammeKind, ProgrammeTerms, PurchaseChannel, RedemptionChannel

# --- programmes and memberships ---------------------------------------------------------


@dataclass(frozen=True)
class OpenProgramme:
    """A merchant programme names its merchant; a town programme (the association's) none."""

    kind: ProgrammeKind
    terms: ProgrammeTerms
    merchant_id: UUID | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ChangeProgramme:
    programme_id: UUID
    terms: ProgrammeTerms


@dataclass(frozen=True)
class CloseProgramme:
    programme_id: UUID
    reason: str = ""


@dataclass(frozen=True)
class JoinProgramme:
    programme_id: UUID
    merchant_id: UUID


@dataclass(frozen=True)
class LeaveProgramme:
    programme_id: UUID
    merchant_id: UUID


# --- campaigns --------------------------------------------------------------------------


@dataclass(frozen=True)
class StartCampaign:
    programme_id: UUID
    name: str
    bonus_percent: int
    budget_cents: int
    per_buyer_cap_cents: int
    ends_at: datetime
    idempotency_key: str | None = None


@dataclass(frozen=True)
class EndCampaign:
    campaign_id: UUID
    reason: str = ""


# --- purchases --------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestedVoucher:
    """One voucher the buyer asks for; a gift names its recipient (printed on the card)."""

    programme_id: UUID
    amount_cents: int
    gift_recipient: str | None = field(default=None, repr=False)
    gift_message: str = field(default="", repr=False)


@dataclass(frozen=True)
class StartPurchase:
    """Channel ``counter``: a merchant sells it (the handler knows which, from the principal)."""

    items: tuple[RequestedVoucher, ...]
    buyer_email: str = field(repr=False)
    channel: PurchaseChannel = "online"
    idempotency_key: str | None = None
    language: Literal["de", "en"] = "de"
    """The buyer's language: their mails (payment instructions, the paid vouchers) are in it."""
    added_fields: ClassVar[frozenset[str]] = frozenset({"language"})
    """Added with issue 16: a German request prints as before (the kit's ``fingerprint``), so a
    retry of a purchase started before the upgrade is still the same request."""


@dataclass(frozen=True)
class ConfirmPayment:
    """From the payment provider's signed callback, the association (a bank transfer seen)
    or a merchant taking cash (``merchant_id``)."""

    purchase_id: UUID
    method: PaymentMethod
    reference: str
    amount_cents: int
    merchant_id: UUID | None = None


@dataclass(frozen=True)
class BulkIssue:
    """The association issues ``count`` town vouchers of ``amount_cents``, paid by itself;
    the codes go to ``contact_email``."""

    programme_id: UUID
    amount_cents: int
    count: int
    reference: str
    contact_email: str = field(repr=False)
    idempotency_key: str | None = None


# --- vouchers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RedeemVoucher:
    """``request_id`` becomes the redemption id, so a retried request redeems once."""

    code: str = field(repr=False)
    amount_cents: int
    request_id: UUID
    channel: RedemptionChannel = "counter"
    order_id: UUID | None = None


@dataclass(frozen=True)
class ReverseRedemption:
    voucher_id: UUID
    redemption_id: UUID
    reason: str = ""


@dataclass(frozen=True)
class RefundVoucher:
    voucher_id: UUID
    redemption_id: UUID
    refund_id: UUID
    amount_cents: int
    reason: str = ""


# --- paying part of an order ------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizeVoucherPayment:
    """Whoever holds the code lets orders take up to ``amount_cents`` of the voucher for a
    while; the orders name the authorisation, never the code."""

    code: str = field(repr=False)
    amount_cents: int
    idempotency_key: str | None = None
