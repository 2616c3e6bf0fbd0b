# SPDX-License-Identifier: AGPL-3.0-or-later
"""Request and response bodies of the vouchers API (never the domain objects themselves).

Money is integer cents (``amount_cents: 2500`` is 25,00 €): a fraction of a cent, a float or
a negative amount is refused before anything else happens. What a merchant takes from a
voucher or gives back to it may instead be typed in euros as it types a price (``amount:
"25,00"``, see :class:`AmountIn`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from downtown_events.runtime.http.fields import Email, TypedAmount
from downtown_events.text import MultiLine, SingleLine
from downtown_events.vouchers import AmountRange, ProgrammeKind, ProgrammeTerms, ValidityPolicy
from vouchers.adapters.documents import SettlementStatement
from vouchers.domain import campaign as campaigns
from vouchers.domain.authorization import Authorization
from vouchers.domain.campaign import Campaign, CampaignState
from vouchers.domain.membership import Membership
from vouchers.domain.programme import Programme
from vouchers.domain.purchase import Purchase
from vouchers.domain.voucher import Voucher

Cents = Annotated[StrictInt, Field(gt=0, le=100_000_000, description="an amount in cents, e.g. 2500 = 25,00 €")]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- programmes -------------------------------------------------------------------------


class AmountRangeIn(Request):
    min_cents: Cents
    max_cents: Cents

    @model_validator(mode="after")
    def _ordered(self) -> AmountRangeIn:
        if self.min_cents > self.max_cents:
            raise PydanticCustomError("amount_range", "min_cents must not exceed max_cents")
        return self


class ValidityIn(Request):
    years: StrictInt = Field(default=3, ge=1, le=30)
    to_end_of_year: bool = True


class TermsIn(Request):
    name: SingleLine = Field(min_length=1, max_length=120, examples=["Schöppinger Stadtgutschein"])
    denominations_cents: list[Cents] = Field(default_factory=list, max_length=20, examples=[[1000, 2500, 5000]])
    free_amount: AmountRangeIn | None = Field(default=None, validate_default=True)
    validity: ValidityIn = Field(default_factory=ValidityIn)

    @field_validator("free_amount")
    @classmethod
    def _sells_something(cls, free: AmountRangeIn | None, info: ValidationInfo) -> AmountRangeIn | None:
        if free is None and info.data.get("denominations_cents") == []:
            raise PydanticCustomError(
                "nothing_sold", "a programme sells something: give denominations_cents, a free_amount, or both"
            )
        return free

    def to_terms(self) -> ProgrammeTerms:
        free = AmountRange(**self.free_amount.model_dump()) if self.free_amount else None
        return ProgrammeTerms(
            name=self.name,
            denominations_cents=sorted(set(self.denominations_cents)),
            free_amount=free,
            validity=ValidityPolicy(**self.validity.model_dump()),
        )


class ProgrammeIn(TermsIn):
    kind: ProgrammeKind = Field(
        description="`merchant`: your own vouchers (merchant token); `town`: a town voucher (association token)"
    )


class ClosingIn(Request):
    reason: SingleLine = Field(default="", max_length=500)


class MembershipIn(Request):
    merchant_id: UUID | None = Field(default=None, description="the association joins a merchant; a merchant itself")


class ProgrammeOut(BaseModel):
    programme_id: UUID
    kind: ProgrammeKind
    merchant_id: UUID | None
    terms: ProgrammeTerms
    open: bool
    vat_note: str = "Mehrzweck-Gutschein (§ 3 Abs. 15 UStG): die Umsatzsteuer entsteht bei der Einlösung."

    @classmethod
    def of(cls, programme: Programme) -> ProgrammeOut:
        return cls(
            programme_id=programme.programme_id,
            kind=programme.kind,
            merchant_id=programme.merchant_id,
            terms=programme.terms,
            open=not programme.closed,
        )


class MembershipOut(BaseModel):
    programme_id: UUID
    merchant_id: UUID
    accepts: bool

    @classmethod
    def of(cls, membership: Membership) -> MembershipOut:
        return cls(programme_id=membership.programme_id, merchant_id=membership.merchant_id, accepts=membership.joined)


# --- campaigns --------------------------------------------------------------------------


class CampaignIn(Request):
    programme_id: UUID
    name: SingleLine = Field(min_length=1, max_length=120, examples=["Heimat shoppen: 20 % obendrauf"])
    bonus_percent: StrictInt = Field(ge=1, le=100)
    budget_cents: Cents
    per_buyer_cap_cents: Cents
    ends_at: AwareDatetime


class CampaignOut(BaseModel):
    campaign_id: UUID
    programme_id: UUID
    name: str
    bonus_percent: int
    budget_cents: int
    reserved_cents: int
    granted_cents: int
    remaining_cents: int
    per_buyer_cap_cents: int
    ends_at: datetime
    ended: bool

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignOut:
        return cls(
            campaign_id=campaign.campaign_id,
            programme_id=campaign.programme_id,
            name=campaign.name,
            bonus_percent=campaign.bonus_percent,
            budget_cents=campaign.budget_cents,
            reserved_cents=campaign.reserved_cents,
            granted_cents=campaign.granted_cents,
            remaining_cents=campaign.remaining_cents,
            per_buyer_cap_cents=campaign.per_buyer_cap_cents,
            ends_at=campaign.ends_at,
            ended=campaign.ended,
        )


class CampaignListed(CampaignOut):
    """A campaign in the association's list: its budget's tallies and where it stands now."""

    started_at: datetime | None = Field(
        description="when the campaign started; null for one started before the list knew it (a rebuild of "
        "the sales projection fills it)"
    )
    state: CampaignState = Field(
        description="running; spent (running, nothing left to promise); expired (past its deadline); "
        "ended (early, by the association)"
    )

    @classmethod
    def of_row(cls, row: Mapping[str, Any], now: datetime) -> CampaignListed:
        remaining = int(row["budget_cents"]) - int(row["reserved_cents"]) - int(row["granted_cents"])
        state = campaigns.state_of(ended=row["ended"], ends_at=row["ends_at"], remaining_cents=remaining, now=now)
        return cls.model_validate({**row, "remaining_cents": remaining, "state": state})


# --- purchases --------------------------------------------------------------------------


class GiftIn(Request):
    recipient_name: SingleLine = Field(min_length=1, max_length=120)
    message: MultiLine = Field(default="", max_length=1000)


class VoucherWanted(Request):
    programme_id: UUID
    amount_cents: Cents
    gift: GiftIn | None = None


class PurchaseIn(Request):
    email: Email
    vouchers: list[VoucherWanted] = Field(min_length=1, max_length=50)
    language: Literal["de", "en"] | None = Field(
        default=None,
        description="the language of the buyer's e-mails (payment instructions, the vouchers); "
        "without it the request's Accept-Language decides, else German",
    )


class CounterSaleIn(PurchaseIn):
    reference: SingleLine = Field(default="", max_length=200, description="your till receipt number, if any")


class BulkIssueIn(Request):
    programme_id: UUID
    amount_cents: Cents
    count: StrictInt = Field(ge=1, le=5000)
    reference: SingleLine = Field(min_length=1, max_length=200, examples=["Gewinnspiel Stadtfest 2026"])
    contact_email: Email


class PaymentIn(Request):
    method: Literal["bank_transfer", "cash"] = Field(
        description="`bank_transfer` seen by the association, or `cash` taken by a merchant at its counter"
    )
    reference: SingleLine = Field(min_length=1, max_length=200)
    amount_cents: Cents


class ProviderPaymentIn(Request):
    """The payment provider's callback body, signed in the `Downtown-Signature` header."""

    purchase_id: UUID
    reference: SingleLine = Field(min_length=1, max_length=200)
    amount_cents: Cents


class ItemOut(BaseModel):
    voucher_id: UUID
    programme_id: UUID
    amount_cents: int
    bonus_cents: int
    gift: bool


class PurchaseOut(BaseModel):
    purchase_id: UUID
    channel: str
    status: Literal["pending", "paid", "expired"]
    total_cents: int
    bonus_cents: int
    pay_by: datetime
    payment_reference: str = Field(description="what a bank transfer for this purchase names as its reference")
    items: list[ItemOut]
    codes_delivered: bool

    @classmethod
    def of(cls, purchase: Purchase) -> PurchaseOut:
        return cls(
            purchase_id=purchase.purchase_id,
            channel=purchase.channel,
            status=purchase.status,
            total_cents=purchase.total_cents,
            bonus_cents=sum(item.bonus_cents for item in purchase.items),
            pay_by=purchase.expires_at,
            payment_reference=purchase.transfer_reference,
            items=[
                ItemOut(
                    voucher_id=item.voucher_id,
                    programme_id=item.programme_id,
                    amount_cents=item.amount_cents,
                    bonus_cents=item.bonus_cents,
                    gift=item.gift,
                )
                for item in purchase.items
            ],
            codes_delivered=purchase.codes_delivered,
        )


class StartedPurchaseOut(BaseModel):
    purchase: PurchaseOut
    access_token: str | None = Field(
        description="Keep it: it opens the purchase and, once paid, its codes (shown once). "
        "Only the request that started the purchase gets it; a repeated request gets null."
    )


class VoucherSeen(BaseModel):
    """A voucher as its buyer sees it after the codes were shown: the code masked."""

    voucher_id: UUID
    code: str
    value_cents: int
    balance_cents: int
    expires_on: date


class BuyerView(BaseModel):
    purchase: PurchaseOut
    vouchers: list[VoucherSeen]


# --- vouchers ---------------------------------------------------------------------------


class CodeIn(Request):
    code: str = Field(min_length=1, max_length=64, examples=["7KQM-X2PA-5HJN-R8WT-CE3D"])


class AmountIn(Request, TypedAmount):
    """An amount taken from or given back to a voucher (the kit's :class:`TypedAmount`)."""


class RedemptionIn(AmountIn, CodeIn):
    channel: Literal["counter", "online"] = "counter"


class AuthorizationIn(CodeIn):
    amount_cents: Cents = Field(description="the most the orders of one checkout may take of the voucher")


class AuthorizationOut(BaseModel):
    authorization_id: UUID = Field(description="what the checkout names (payment.voucher_authorization_id)")
    amount_cents: int
    expires_at: datetime = Field(description="orders placed after this may not draw on it")
    voucher_balance_cents: int = Field(description="what the voucher holds now (nothing is redeemed yet)")
    voucher_expires_on: date

    @classmethod
    def of(cls, authorization: Authorization, voucher: Voucher) -> AuthorizationOut:
        if authorization.expires_at is None:
            raise ValueError("an authorisation that was never given")
        return cls(
            authorization_id=authorization.authorization_id,
            amount_cents=authorization.amount_cents,
            expires_at=authorization.expires_at,
            voucher_balance_cents=voucher.balance_cents,
            voucher_expires_on=voucher.expires_on,
        )


class ReversalIn(Request):
    reason: SingleLine = Field(default="", max_length=500)


class RefundIn(AmountIn):
    redemption_id: UUID
    reason: SingleLine = Field(default="", max_length=500)


class BalanceOut(BaseModel):
    voucher_id: UUID
    kind: ProgrammeKind
    programme_id: UUID = Field(description="a town voucher pays at this programme's members (see its members)")
    merchant_id: UUID | None
    balance_cents: int
    value_cents: int
    expires_on: date
    expired: bool

    @classmethod
    def of(cls, voucher: Voucher, today: date) -> BalanceOut:
        return cls(
            voucher_id=voucher.voucher_id,
            kind=voucher.kind,
            programme_id=voucher.programme_id,
            merchant_id=voucher.merchant_id,
            balance_cents=voucher.balance_cents,
            value_cents=voucher.value_cents,
            expires_on=voucher.expires_on,
            expired=not voucher.valid_on(today),
        )


class RedemptionOut(BaseModel):
    redemption_id: UUID
    voucher_id: UUID
    merchant_id: UUID
    amount_cents: int
    paid_part_cents: int
    bonus_part_cents: int
    voucher_balance_cents: int = Field(description="what the voucher holds now")
    reversed: bool


class VoucherOut(BalanceOut):
    purchase_id: UUID
    paid_cents: int
    bonus_cents: int
    redeemed_cents: int
    reversed_cents: int
    refunded_cents: int
    breakage_cents: int
    redemptions: list[RedemptionOut]

    @classmethod
    def of_voucher(cls, voucher: Voucher, today: date) -> VoucherOut:
        return cls(
            **BalanceOut.of(voucher, today).model_dump(),
            purchase_id=voucher.purchase_id,
            paid_cents=voucher.paid_cents,
            bonus_cents=voucher.bonus_cents,
            redeemed_cents=voucher.redeemed_cents,
            reversed_cents=voucher.reversed_cents,
            refunded_cents=voucher.refunded_cents,
            breakage_cents=voucher.breakage_cents,
            redemptions=[redemption_out(voucher, r.redemption_id) for r in voucher.redemptions.values()],
        )


def redemption_out(voucher: Voucher, redemption_id: UUID) -> RedemptionOut:
    redemption = voucher.redemptions[redemption_id]
    return RedemptionOut(
        redemption_id=redemption.redemption_id,
        voucher_id=voucher.voucher_id,
        merchant_id=redemption.merchant_id,
        amount_cents=redemption.amount_cents,
        paid_part_cents=redemption.paid_part_cents,
        bonus_part_cents=redemption.bonus_part_cents,
        voucher_balance_cents=voucher.balance_cents,
        reversed=redemption.reversed,
    )


# --- settlements --------------------------------------------------------------------------


class RedemptionLine(BaseModel):
    redeemed_at: datetime = Field(description="in the town's time (with its offset)")
    voucher_id: UUID
    redemption_id: UUID
    amount_cents: int
    reversed_cents: int = Field(description="what of it was reversed or refunded in the period")
    order_id: UUID | None = Field(default=None, description="the order it paid; none for a redemption at a counter")
    order_reference: str | None = Field(
        default=None, examples=["A1B2C3D4"], description="the order as ordering's mails name it"
    )
    masked_code: str | None = Field(
        default=None,
        examples=["••••-••••-••••-••••-X7KQ"],
        description="the voucher's code, masked; none when the service never saw it typed (redemption, checkout)",
    )


class CounterSaleLine(BaseModel):
    """Town vouchers the merchant sold for cash: money it holds for the association."""

    purchase_id: UUID
    purchase_reference: str = Field(examples=["GS-A1B2C3D4"], description="the purchase as people name it")
    paid_at: datetime = Field(description="in the town's time")
    vouchers: int
    cash_cents: int


class SettlementOut(BaseModel):
    programme_name: str
    merchant_id: UUID
    merchant_name: str
    period_start: date
    period_end: date
    redemptions: list[RedemptionLine]
    counter_sales: list[CounterSaleLine]
    redeemed_cents: int
    reversed_cents: int
    counter_cash_cents: int
    owed_cents: int = Field(
        description="redeemed − reversed − counter cash: what the association pays; below zero, what the merchant pays"
    )

    @classmethod
    def of(cls, statement: SettlementStatement) -> SettlementOut:
        return cls(
            programme_name=statement.programme_name,
            merchant_id=statement.merchant_id,
            merchant_name=statement.merchant_name,
            period_start=statement.period_start,
            period_end=statement.period_end,
            redemptions=[
                RedemptionLine(
                    redeemed_at=line.redeemed_at,
                    voucher_id=line.voucher_id,
                    redemption_id=line.redemption_id,
                    amount_cents=line.amount_cents,
                    reversed_cents=line.reversed_cents,
                    order_id=line.order_id,
                    order_reference=line.order_reference,
                    masked_code=line.masked_code,
                )
                for line in statement.lines
            ],
            counter_sales=[
                CounterSaleLine(
                    purchase_id=sale.purchase_id,
                    purchase_reference=sale.purchase_reference,
                    paid_at=sale.paid_at,
                    vouchers=sale.vouchers,
                    cash_cents=sale.cash_cents,
                )
                for sale in statement.counter_sales
            ],
            redeemed_cents=statement.redeemed_cents,
            reversed_cents=statement.reversed_cents,
            counter_cash_cents=statement.counter_cash_cents,
            owed_cents=statement.owed_cents,
        )


class StatementLinks(BaseModel):
    """Where the statement is, as JSON, a spreadsheet and a PDF (paths on this service)."""

    json_url: str = Field(examples=["/merchants/me/settlements/2026-12/3f9e….json"])
    csv_url: str
    pdf_url: str


class MerchantSettlementOut(BaseModel):
    """One month's settlement of one town programme for the merchant asking: the sums of the
    statement the links open (`owed_cents` below zero: the merchant owes the association)."""

    month: str = Field(examples=["2026-12"], description="a month of the town's calendar")
    period_start: date
    period_end: date
    programme_id: UUID
    programme_name: str
    redemptions: int
    redeemed_cents: int
    reversed_cents: int
    counter_sales: int
    counter_cash_cents: int
    owed_cents: int
    statement: StatementLinks
