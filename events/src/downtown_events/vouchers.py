# SPDX-License-Identifier: Apache-2.0
"""Events of the vouchers service: programmes, purchases, vouchers, campaigns.

Published on ``<town>.vouchers.events``, keyed by the aggregate id: ``programme_id``,
``membership_id`` (a merchant's opt-in to a programme), ``campaign_id``, ``purchase_id``
or ``voucher_id``. Money is integer cents (EUR), never float.

What integrators never see: codes (not even their hashes), buyers' e-mail addresses, gift
recipients' names and messages, and the reasons typed for a reversal or refund. The service
keeps those in private events of its own (see ``vouchers.domain.private_events``); these
public events carry ids and amounts only. A field once published stays in its schema version
(readers of that version keep finding it): ``reason`` of ``VoucherRedemptionReversed`` and
``VoucherRefunded`` is kept, written empty.

Vouchers are a means of payment, not a sale of goods: a *multi-purpose voucher*
(Mehrzweck-Gutschein, § 3 Abs. 15 UStG), so VAT falls due when a voucher is redeemed for
goods or services, not when it is sold. Each programme records that classification.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from downtown_events.contract import IntegrationEvent, ValueObject, registry
from downtown_events.text import EventLine

Cents = int
ProgrammeKind = Literal["merchant", "town"]
"""``merchant``: sold for one merchant and redeemable there only; ``town``: a Stadtgutschein
issued by the association, redeemable at every merchant that joined the programme."""
VatClassification = Literal["multi_purpose_voucher"]
PurchaseChannel = Literal["online", "counter", "bulk"]
PaymentMethod = Literal["provider", "bank_transfer", "cash", "association"]
RedemptionChannel = Literal["counter", "online", "order"]


class VouchersEvent(IntegrationEvent):
    service: ClassVar[str] = "vouchers"


class AmountRange(ValueObject):
    """A free amount the buyer may choose, in cents, both ends included."""

    min_cents: Cents = Field(gt=0)
    max_cents: Cents = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> AmountRange:
        if self.min_cents > self.max_cents:
            raise ValueError("min_cents must not exceed max_cents")
        return self


class ValidityPolicy(ValueObject):
    """How long a voucher stays redeemable. The default is the German statutory limitation
    period (§§ 195, 199 BGB): three years, counted to the end of the year of purchase."""

    years: int = Field(default=3, ge=1, le=30)
    to_end_of_year: bool = True


class ProgrammeTerms(ValueObject):
    """What a programme sells: fixed denominations and/or a free amount within limits."""

    name: EventLine = Field(min_length=1, max_length=120)
    denominations_cents: list[Cents] = Field(default_factory=list, max_length=20)
    free_amount: AmountRange | None = None
    validity: ValidityPolicy = Field(default_factory=ValidityPolicy)
    vat_classification: VatClassification = "multi_purpose_voucher"

    @model_validator(mode="after")
    def _sells_something(self) -> ProgrammeTerms:
        if not self.denominations_cents and self.free_amount is None:
            raise ValueError("a programme needs denominations or a free amount")
        if any(cents <= 0 for cents in self.denominations_cents):
            raise ValueError("denominations must be positive")
        return self


# --- programme -------------------------------------------------------------------------


@registry.register
class ProgrammeOpened(VouchersEvent):
    """A programme starts selling. A merchant programme names its merchant; a town
    programme is the association's and accepted by the merchants that join it."""

    event_name: ClassVar[str] = "ProgrammeOpened"
    schema_version: ClassVar[int] = 1
    programme_id: UUID
    kind: ProgrammeKind
    merchant_id: UUID | None = None
    terms: ProgrammeTerms


@registry.register
class ProgrammeChanged(VouchersEvent):
    """New terms for future sales; vouchers already sold keep the terms they were sold under."""

    event_name: ClassVar[str] = "ProgrammeChanged"
    schema_version: ClassVar[int] = 1
    programme_id: UUID
    terms: ProgrammeTerms


@registry.register
class ProgrammeClosed(VouchersEvent):
    """No more sales; vouchers already sold stay redeemable until they expire."""

    event_name: ClassVar[str] = "ProgrammeClosed"
    schema_version: ClassVar[int] = 1
    programme_id: UUID
    reason: EventLine = Field(default="", max_length=500)


# --- membership: a merchant's opt-in to a town programme -------------------------------


@registry.register
class MerchantJoinedProgramme(VouchersEvent):
    event_name: ClassVar[str] = "MerchantJoinedProgramme"
    schema_version: ClassVar[int] = 1
    membership_id: UUID
    programme_id: UUID
    merchant_id: UUID


@registry.register
class MerchantLeftProgramme(VouchersEvent):
    """The merchant no longer accepts the programme's vouchers (already redeemed ones are
    still settled)."""

    event_name: ClassVar[str] = "MerchantLeftProgramme"
    schema_version: ClassVar[int] = 1
    membership_id: UUID
    programme_id: UUID
    merchant_id: UUID


# --- campaign: the town adds a bonus to every voucher bought, from a fixed budget -------


@registry.register
class CampaignStarted(VouchersEvent):
    event_name: ClassVar[str] = "CampaignStarted"
    schema_version: ClassVar[int] = 1
    campaign_id: UUID
    programme_id: UUID
    name: EventLine = Field(min_length=1, max_length=120)
    bonus_percent: int = Field(ge=1, le=100)
    budget_cents: Cents = Field(gt=0)
    per_buyer_cap_cents: Cents = Field(gt=0)
    ends_at: AwareDatetime


@registry.register
class CampaignBonusReserved(VouchersEvent):
    """A pending purchase holds part of the budget, so the budget is never promised twice."""

    event_name: ClassVar[str] = "CampaignBonusReserved"
    schema_version: ClassVar[int] = 1
    campaign_id: UUID
    purchase_id: UUID
    bonus_cents: Cents = Field(gt=0)


@registry.register
class CampaignBonusGranted(VouchersEvent):
    """The purchase was paid: its reservation became bonus on the vouchers issued."""

    event_name: ClassVar[str] = "CampaignBonusGranted"
    schema_version: ClassVar[int] = 1
    campaign_id: UUID
    purchase_id: UUID
    bonus_cents: Cents = Field(gt=0)


@registry.register
class CampaignBonusReleased(VouchersEvent):
    """The purchase expired unpaid: its reservation returns to the budget."""

    event_name: ClassVar[str] = "CampaignBonusReleased"
    schema_version: ClassVar[int] = 1
    campaign_id: UUID
    purchase_id: UUID
    bonus_cents: Cents = Field(gt=0)


@registry.register
class CampaignEnded(VouchersEvent):
    """The association ended the campaign before its deadline (after it, it ends by itself)."""

    event_name: ClassVar[str] = "CampaignEnded"
    schema_version: ClassVar[int] = 1
    campaign_id: UUID
    reason: EventLine = Field(default="", max_length=500)


# --- purchase --------------------------------------------------------------------------


class PurchaseItem(ValueObject):
    """One voucher of a purchase: what the buyer pays for it and the bonus it will carry."""

    voucher_id: UUID
    programme_id: UUID
    amount_cents: Cents = Field(gt=0)
    bonus_cents: Cents = Field(default=0, ge=0)
    campaign_id: UUID | None = None
    gift: bool = False


@registry.register
class PurchaseStarted(VouchersEvent):
    """A buyer ordered vouchers; nothing is issued until the purchase is paid, and an unpaid
    purchase expires at ``expires_at``. ``merchant_id`` is the merchant selling at the
    counter, if any."""

    event_name: ClassVar[str] = "PurchaseStarted"
    schema_version: ClassVar[int] = 1
    purchase_id: UUID
    channel: PurchaseChannel
    items: list[PurchaseItem] = Field(min_length=1, max_length=500)
    total_cents: Cents = Field(gt=0)
    expires_at: AwareDatetime
    merchant_id: UUID | None = None


@registry.register
class PurchasePaid(VouchersEvent):
    """Payment confirmed: by the payment provider's signed callback, by the association
    (a bank transfer received, or its own bulk issue), or by a merchant taking cash."""

    event_name: ClassVar[str] = "PurchasePaid"
    schema_version: ClassVar[int] = 1
    purchase_id: UUID
    method: PaymentMethod
    reference: EventLine = Field(default="", max_length=200)
    amount_cents: Cents = Field(gt=0)
    merchant_id: UUID | None = None


@registry.register
class PurchaseExpiredUnpaid(VouchersEvent):
    event_name: ClassVar[str] = "PurchaseExpiredUnpaid"
    schema_version: ClassVar[int] = 1
    purchase_id: UUID


# --- voucher ---------------------------------------------------------------------------


@registry.register
class VoucherIssued(VouchersEvent):
    """A paid voucher exists. ``value_cents`` = ``paid_cents`` (the buyer's money) +
    ``bonus_cents`` (a campaign's, tracked apart). ``merchant_id`` is set for a merchant
    voucher: redeemable there only."""

    event_name: ClassVar[str] = "VoucherIssued"
    schema_version: ClassVar[int] = 1
    voucher_id: UUID
    purchase_id: UUID
    programme_id: UUID
    kind: ProgrammeKind
    merchant_id: UUID | None = None
    value_cents: Cents = Field(gt=0)
    paid_cents: Cents = Field(ge=0)
    bonus_cents: Cents = Field(default=0, ge=0)
    campaign_id: UUID | None = None
    expires_on: date
    vat_classification: VatClassification = "multi_purpose_voucher"


class BalanceChange(VouchersEvent):
    """What every balance change of a voucher says: how much, in which parts (the buyer's
    money and the bonus), and the balance after it."""

    voucher_id: UUID
    merchant_id: UUID
    amount_cents: Cents = Field(gt=0)
    paid_part_cents: Cents = Field(ge=0)
    bonus_part_cents: Cents = Field(ge=0)
    balance_after_cents: Cents = Field(ge=0)


@registry.register
class VoucherRedeemed(BalanceChange):
    """Paid with the voucher at a merchant. The buyer's money is spent before the bonus.
    ``redemption_id`` comes from the redeeming request's id, so a retry redeems once."""

    event_name: ClassVar[str] = "VoucherRedeemed"
    schema_version: ClassVar[int] = 1
    redemption_id: UUID
    channel: RedemptionChannel = "counter"
    order_id: UUID | None = None


FREE_TEXT_KEPT_PRIVATE = (
    "written empty: why money was given back is typed at a counter (it has held voucher codes and "
    "e-mail addresses) and stays inside the vouchers service; records written before may hold text"
)


@registry.register
class VoucherRedemptionReversed(BalanceChange):
    """A redemption undone as a whole (an order rejected, a mistake at the counter): its
    parts go back to the voucher."""

    event_name: ClassVar[str] = "VoucherRedemptionReversed"
    schema_version: ClassVar[int] = 1
    redemption_id: UUID
    reason: EventLine = Field(default="", max_length=500, description=FREE_TEXT_KEPT_PRIVATE)


@registry.register
class VoucherRefunded(BalanceChange):
    """Part of a redemption credited back (goods returned); the bonus part is credited
    back first, as it was spent last."""

    event_name: ClassVar[str] = "VoucherRefunded"
    schema_version: ClassVar[int] = 1
    refund_id: UUID
    redemption_id: UUID
    reason: EventLine = Field(default="", max_length=500, description=FREE_TEXT_KEPT_PRIVATE)


@registry.register
class VoucherExpired(VouchersEvent):
    """The validity ran out with money left: that remainder is breakage (the buyer's part
    and the bonus part apart). Recorded by the scheduled expiry job, and again for money
    credited back to a voucher after it expired (it cannot be spent: breakage at once)."""

    event_name: ClassVar[str] = "VoucherExpired"
    schema_version: ClassVar[int] = 1
    voucher_id: UUID
    expired_on: date
    breakage_cents: Cents = Field(ge=0)
    paid_breakage_cents: Cents = Field(ge=0)
    bonus_breakage_cents: Cents = Field(ge=0)


# --- paying part of an order with a voucher ---------------------------------------------


@registry.register
class VoucherPaymentRefused(VouchersEvent):
    """An order asked for a voucher part its authorisation cannot cover (unknown or expired
    authorisation, too little left, a shop that does not take the voucher). Keyed by the
    authorisation's id; a successful payment is ``VoucherRedeemed`` with the order's id."""

    event_name: ClassVar[str] = "VoucherPaymentRefused"
    schema_version: ClassVar[int] = 1
    authorization_id: UUID
    order_id: UUID
    merchant_id: UUID
    voucher_cents: Cents = Field(ge=0)
    reason: EventLine = Field(min_length=1, max_length=500)


PROGRAMME_EVENTS = (ProgrammeOpened, ProgrammeChanged, ProgrammeClosed)
MEMBERSHIP_EVENTS = (MerchantJoinedProgramme, MerchantLeftProgramme)
CAMPAIGN_EVENTS = (CampaignStarted, CampaignBonusReserved, CampaignBonusGranted, CampaignBonusReleased, CampaignEnded)
PURCHASE_EVENTS = (PurchaseStarted, PurchasePaid, PurchaseExpiredUnpaid)
VOUCHER_EVENTS = (VoucherIssued, VoucherRedeemed, VoucherRedemptionReversed, VoucherRefunded, VoucherExpired)
