# SPDX-License-Identifier: AGPL-3.0-or-later
"""Events the vouchers service stores and replays but never publishes.

They hold what integrators must not see: the buyer's e-mail and identity, the codes (sealed
for the buyer, and their keyed hashes), gift recipients and messages, the reasons typed for
a reversal or refund, the bonus a payment granted a purchase, and which voucher an order's
voucher payment authorisation draws on (orders name the authorisation, a code never
travels; the link is kept here rather than on a topic). Each is appended in the
same decision as the public event it belongs to. Registered like the public ones because
reading the event store needs every type that is in it.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from downtown_events.catalog import EMAIL_PATTERN
from downtown_events.contract import PrivateEvent, ValueObject, registry
from downtown_events.text import EventEmail, EventLine, EventText

CodeHash = Annotated[str, Field(pattern=r"^[0-9a-f]{32,128}$")]
"""A keyed hash of a voucher code, lower-case hex (see ``vouchers.domain.codes``)."""
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
OpaqueRef = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[0-9A-Za-z_-]+$")]
"""A keyed hash standing for a person (hex or URL-safe base64): comparable, not reversible."""
Base64Text = Annotated[str, Field(min_length=1, max_length=400_000, pattern=r"^[0-9A-Za-z+/_=-]+$")]


class VouchersPrivateEvent(PrivateEvent):
    service: ClassVar[str] = "vouchers"


class Gift(ValueObject):
    """A voucher given away: printed on its card and in the e-mail, never published."""

    voucher_id: UUID
    recipient_name: EventLine = Field(min_length=1, max_length=120)
    message: EventText = Field(default="", max_length=1000)


@registry.register
class PurchaseSecretsSealed(VouchersPrivateEvent):
    """Who bought, and the codes of the vouchers they bought, sealed so that only the
    buyer's access token opens them (appended with ``PurchaseStarted``)."""

    event_name: ClassVar[str] = "PurchaseSecretsSealed"
    schema_version: ClassVar[int] = 1
    purchase_id: UUID
    buyer_email: EventEmail = Field(pattern=EMAIL_PATTERN, max_length=254)
    buyer_ref: OpaqueRef
    access_token_hash: Sha256Hex
    sealed_codes: Base64Text
    code_hashes: dict[UUID, CodeHash] = Field(min_length=1, max_length=500)
    gifts: list[Gift] = Field(default_factory=list, max_length=500)
    language: Literal["de", "en"] = "de"
    """The language the buyer's mails are written in (issue 16; earlier purchases: German)."""
    delivery_sealed_codes: Base64Text | None = None
    """The codes sealed again under the service's delivery key, for the one e-mail that brings
    the paid vouchers (an online purchase since issue 16; None: no such mail carries them)."""


@registry.register
class PurchaseCodesDelivered(VouchersPrivateEvent):
    """The buyer fetched the codes; they are not shown in full again."""

    event_name: ClassVar[str] = "PurchaseCodesDelivered"
    schema_version: ClassVar[int] = 1
    purchase_id: UUID
    delivered_at: AwareDatetime


@registry.register
class VoucherCodeAssigned(VouchersPrivateEvent):
    """The keyed hash of the voucher's code, by which a code typed at a counter finds its
    voucher (appended with ``VoucherIssued``)."""

    event_name: ClassVar[str] = "VoucherCodeAssigned"
    schema_version: ClassVar[int] = 1
    voucher_id: UUID
    code_hash: CodeHash


MaskedCode = Annotated[str, Field(pattern=r"^(?:••••-){4}[2-9A-HJ-NP-Z]{4}$")]
"""A code as ``VoucherCode.masked`` shows it: its last group only (three random symbols of
nineteen, and the check symbol), enough to tell vouchers apart, never enough to spend one."""


@registry.register
class VoucherCodeMaskRecorded(VouchersPrivateEvent):
    """The voucher's code as statements show it, masked (``••••-••••-••••-••••-X7KQ``),
    noted the first time a merchant redeems it by code: the service keeps only the code's
    keyed hash, so this is the one moment it can learn the masked form after the sale. Kept
    private all the same: what integrators need of a voucher is its id."""

    event_name: ClassVar[str] = "VoucherCodeMaskRecorded"
    schema_version: ClassVar[int] = 1
    voucher_id: UUID
    masked_code: MaskedCode


@registry.register
class CampaignBuyerRecorded(VouchersPrivateEvent):
    """Whose purchase a bonus reservation is for, so the per-buyer cap holds across
    purchases (appended with ``CampaignBonusReserved``)."""

    event_name: ClassVar[str] = "CampaignBuyerRecorded"
    schema_version: ClassVar[int] = 1
    campaign_id: UUID
    purchase_id: UUID
    buyer_ref: OpaqueRef


@registry.register
class VoucherReversalReasonRecorded(VouchersPrivateEvent):
    """Why a redemption was reversed, as typed (appended with ``VoucherRedemptionReversed``,
    whose public ``reason`` stays empty: a typed reason has carried a code and an e-mail)."""

    event_name: ClassVar[str] = "VoucherReversalReasonRecorded"
    schema_version: ClassVar[int] = 1
    voucher_id: UUID
    redemption_id: UUID
    reason: EventLine = Field(min_length=1, max_length=500)


@registry.register
class VoucherRefundReasonRecorded(VouchersPrivateEvent):
    """Why part of a redemption was refunded, as typed (appended with ``VoucherRefunded``)."""

    event_name: ClassVar[str] = "VoucherRefundReasonRecorded"
    schema_version: ClassVar[int] = 1
    voucher_id: UUID
    refund_id: UUID
    reason: EventLine = Field(min_length=1, max_length=500)


@registry.register
class PurchaseBonusGranted(VouchersPrivateEvent):
    """The campaign bonus a purchase's vouchers carry, granted when its money was verified
    (appended with ``PurchasePaid``; the campaign's ``CampaignBonusGranted`` says the same to
    integrators, each voucher's ``VoucherIssued`` its part): voucher id -> bonus cents."""

    event_name: ClassVar[str] = "PurchaseBonusGranted"
    schema_version: ClassVar[int] = 1
    purchase_id: UUID
    campaign_id: UUID
    bonuses: dict[UUID, Annotated[int, Field(gt=0)]] = Field(min_length=1, max_length=500)


# --- paying part of an order: an authorisation stands for the voucher --------------------


@registry.register
class VoucherPaymentAuthorized(VouchersPrivateEvent):
    """Whoever holds the code let orders take up to ``amount_cents`` of the voucher until
    ``expires_at``; orders name the authorisation's (random) id, never the code. Nothing is
    redeemed yet: each order's redemption decides on the balance it finds then."""

    event_name: ClassVar[str] = "VoucherPaymentAuthorized"
    schema_version: ClassVar[int] = 1
    authorization_id: UUID
    voucher_id: UUID
    amount_cents: int = Field(gt=0)
    authorized_at: AwareDatetime
    expires_at: AwareDatetime
    masked_code: MaskedCode | None = None
    """The code as statements show it (see ``VoucherCodeMaskRecorded``): typed at the checkout,
    it names on a statement a voucher spent through orders only. None before issue 16."""

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> VoucherPaymentAuthorized:
        if self.expires_at <= self.authorized_at:
            raise ValueError("an authorisation must expire after it was given")
        return self


@registry.register
class VoucherAuthorizationUsed(VouchersPrivateEvent):
    """An order took ``voucher_cents`` of the authorisation (appended with the order's
    ``VoucherRedeemed`` on the voucher's stream)."""

    event_name: ClassVar[str] = "VoucherAuthorizationUsed"
    schema_version: ClassVar[int] = 1
    authorization_id: UUID
    order_id: UUID
    checkout_id: UUID
    merchant_id: UUID
    voucher_id: UUID
    voucher_cents: int = Field(gt=0)
    redemption_id: UUID


@registry.register
class VoucherAuthorizationReleased(VouchersPrivateEvent):
    """The order ended (rejected, cancelled, not delivered) and its redemption was reversed:
    what it took counts no longer against the authorisation."""

    event_name: ClassVar[str] = "VoucherAuthorizationReleased"
    schema_version: ClassVar[int] = 1
    authorization_id: UUID
    order_id: UUID
    voucher_cents: int = Field(gt=0)
    reason: EventLine = Field(default="", max_length=500)


@registry.register
class OrderVoucherPartTaken(VouchersPrivateEvent):
    """On the order's own stream in vouchers (its id derived from the order's): which
    authorisation, voucher and redemption paid the order's voucher part, so that the order's
    ending, which names only the order, finds what to give back."""

    event_name: ClassVar[str] = "OrderVoucherPartTaken"
    schema_version: ClassVar[int] = 1
    order_id: UUID
    merchant_id: UUID
    authorization_id: UUID
    voucher_id: UUID
    redemption_id: UUID
    voucher_cents: int = Field(gt=0)
