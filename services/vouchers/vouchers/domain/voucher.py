# SPDX-License-Identifier: AGPL-3.0-or-later
"""A voucher: money to spend at a merchant (merchant voucher) or at every member of a town
programme (town voucher), in parts, until it expires.

The balance has two parts, the buyer's money and a campaign's bonus, kept apart because the
town pays for the bonus: redemptions spend the buyer's money first, credits back (refunds)
return the bonus first, and what is left at expiry is breakage in both parts. Every balance
change is its own event, carrying the balance after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.vouchers import (
    ProgrammeKind,
    VoucherExpired,
    VoucherIssued,
    VoucherRedeemed,
    VoucherRedemptionReversed,
    VoucherRefunded,
)
from vouchers.domain.codes import VoucherCode
from vouchers.domain.errors import AlreadyExists, InvalidChange, NotFound
from vouchers.domain.private_events import VoucherCodeAssigned, VoucherCodeMaskRecorded
from vouchers.domain.programme import Programme, expiry_date
from vouchers.domain.purchase import Purchase


@dataclass(frozen=True)
class Redemption:
    """A payment with the voucher, and what of it was later credited back."""

    redemption_id: UUID
    merchant_id: UUID
    amount_cents: int
    paid_part_cents: int
    bonus_part_cents: int
    order_id: UUID | None = None
    refunded_paid_cents: int = 0
    refunded_bonus_cents: int = 0
    reversed: bool = False

    @property
    def open_paid_cents(self) -> int:
        """The buyer's money of it not yet credited back."""
        return 0 if self.reversed else self.paid_part_cents - self.refunded_paid_cents

    @property
    def open_bonus_cents(self) -> int:
        return 0 if self.reversed else self.bonus_part_cents - self.refunded_bonus_cents

    def asks_the_same(self, merchant_id: UUID, amount_cents: int, order_id: UUID | None) -> bool:
        """Whether a request under this redemption's id is a retry of it."""
        return (self.merchant_id, self.amount_cents, self.order_id) == (merchant_id, amount_cents, order_id)


@dataclass(frozen=True)
class Refund:
    refund_id: UUID
    redemption_id: UUID
    amount_cents: int


@dataclass(frozen=True)
class Voucher:
    voucher_id: UUID
    purchase_id: UUID
    programme_id: UUID
    kind: ProgrammeKind
    merchant_id: UUID | None
    value_cents: int
    paid_cents: int
    bonus_cents: int
    campaign_id: UUID | None
    expires_on: date
    paid_balance_cents: int
    bonus_balance_cents: int
    code_hash: str = field(default="", repr=False)
    masked_code: str | None = None
    redemptions: Mapping[UUID, Redemption] = field(default_factory=dict)
    refunds: Mapping[UUID, Refund] = field(default_factory=dict)
    redeemed_cents: int = 0
    reversed_cents: int = 0
    refunded_cents: int = 0
    breakage_cents: int = 0
    version: int = 0

    @property
    def balance_cents(self) -> int:
        return self.paid_balance_cents + self.bonus_balance_cents

    def valid_on(self, today: date) -> bool:
        """Redeemable through ``expires_on``, that day included."""
        return today <= self.expires_on


def evolve(state: Voucher | None, event: IntegrationEvent) -> Voucher:
    """The voucher after one more of its events."""
    return _fold(state, [event])


def replay(events: Iterable[IntegrationEvent]) -> Voucher | None:
    history = list(events)
    if history and not isinstance(history[0], VoucherIssued):
        raise NotFound("no such voucher")
    return _fold(None, history) if history else None


def _fold(state: Voucher | None, events: Sequence[IntegrationEvent]) -> Voucher:
    """A busy voucher (a town's Christmas gift card) has hundreds of redemptions: its tallies
    are copied once per fold and updated in place, so replaying is linear, not quadratic."""
    if state is None:
        first, *events = events
        if not isinstance(first, VoucherIssued):
            raise ValueError(f"{type(first).__name__} before VoucherIssued")
        state = _issued(first)
    redemptions, refunds = dict(state.redemptions), dict(state.refunds)
    paid, bonus = state.paid_balance_cents, state.bonus_balance_cents
    redeemed, reversed_, refunded, breakage = (
        state.redeemed_cents,
        state.reversed_cents,
        state.refunded_cents,
        state.breakage_cents,
    )
    code_hash, masked_code = state.code_hash, state.masked_code
    for event in events:
        match event:
            case VoucherCodeAssigned():
                code_hash = event.code_hash
            case VoucherCodeMaskRecorded():
                masked_code = event.masked_code
            case VoucherRedeemed():
                redemptions[event.redemption_id] = Redemption(
                    event.redemption_id,
                    event.merchant_id,
                    event.amount_cents,
                    event.paid_part_cents,
                    event.bonus_part_cents,
                    event.order_id,
                )
                paid, bonus = paid - event.paid_part_cents, bonus - event.bonus_part_cents
                redeemed += event.amount_cents
            case VoucherRedemptionReversed():
                redemptions[event.redemption_id] = replace(redemptions[event.redemption_id], reversed=True)
                paid, bonus = paid + event.paid_part_cents, bonus + event.bonus_part_cents
                reversed_ += event.amount_cents
            case VoucherRefunded():
                redemption = redemptions[event.redemption_id]
                redemptions[event.redemption_id] = replace(
                    redemption,
                    refunded_paid_cents=redemption.refunded_paid_cents + event.paid_part_cents,
                    refunded_bonus_cents=redemption.refunded_bonus_cents + event.bonus_part_cents,
                )
                refunds[event.refund_id] = Refund(event.refund_id, event.redemption_id, event.amount_cents)
                paid, bonus = paid + event.paid_part_cents, bonus + event.bonus_part_cents
                refunded += event.amount_cents
            case VoucherExpired():
                paid, bonus = paid - event.paid_breakage_cents, bonus - event.bonus_breakage_cents
                breakage += event.breakage_cents
            case VoucherIssued():
                raise ValueError("a voucher is issued once")
    return replace(
        state,
        code_hash=code_hash,
        masked_code=masked_code,
        paid_balance_cents=paid,
        bonus_balance_cents=bonus,
        redemptions=redemptions,
        refunds=refunds,
        redeemed_cents=redeemed,
        reversed_cents=reversed_,
        refunded_cents=refunded,
        breakage_cents=breakage,
        version=state.version + len(events),
    )


def _issued(event: VoucherIssued) -> Voucher:
    return Voucher(
        event.voucher_id,
        event.purchase_id,
        event.programme_id,
        event.kind,
        event.merchant_id,
        event.value_cents,
        event.paid_cents,
        event.bonus_cents,
        event.campaign_id,
        event.expires_on,
        paid_balance_cents=event.paid_cents,
        bonus_balance_cents=event.bonus_cents,
        version=1,
    )


def ensure_exists(state: Voucher | None) -> Voucher:
    if state is None:
        raise NotFound("no such voucher")
    return state


def seen_by(voucher: Voucher, merchant_id: UUID) -> Voucher:
    """The voucher as one merchant may see it: its own merchant vouchers, and town vouchers it
    redeemed, with only its own redemptions (and their refunds) listed; where else a town
    voucher was spent is the association's to know, not a competitor's. The balance and the
    totals stay the voucher's (whoever holds the code sees the balance anyway)."""
    mine = {rid: redemption for rid, redemption in voucher.redemptions.items() if redemption.merchant_id == merchant_id}
    if voucher.merchant_id != merchant_id and not mine:
        raise NotFound("no such voucher")
    refunds = {fid: refund for fid, refund in voucher.refunds.items() if refund.redemption_id in mine}
    return replace(voucher, redemptions=mine, refunds=refunds)


def issue(
    state: Voucher | None, *, purchase: Purchase, voucher_id: UUID, programme: Programme, today: date
) -> list[IntegrationEvent]:
    """A paid purchase's item becomes a voucher, valid by its programme's policy from
    ``today`` (the day of payment), with its code's keyed hash. Issuing it again for the
    same purchase (a redelivered ``PurchasePaid``) decides nothing."""
    if state is not None:
        if state.purchase_id == purchase.purchase_id:
            return []
        raise AlreadyExists("a voucher with this id exists already")
    if purchase.status != "paid":
        raise InvalidChange("vouchers are issued once their purchase is paid")
    item = next((item for item in purchase.items if item.voucher_id == voucher_id), None)
    if item is None:
        raise NotFound("this purchase sold no such voucher")
    if item.programme_id != programme.programme_id:
        raise InvalidChange("the voucher must be issued by the programme it was sold in")
    issued = VoucherIssued(
        voucher_id=voucher_id,
        purchase_id=purchase.purchase_id,
        programme_id=programme.programme_id,
        kind=programme.kind,
        merchant_id=programme.merchant_id,
        value_cents=item.amount_cents + item.bonus_cents,
        paid_cents=item.amount_cents,
        bonus_cents=item.bonus_cents,
        campaign_id=item.campaign_id,
        expires_on=expiry_date(programme.terms.validity, today),
        vat_classification=programme.terms.vat_classification,
    )
    return [issued, VoucherCodeAssigned(voucher_id=voucher_id, code_hash=purchase.code_hash(voucher_id))]


def note_masked_code(state: Voucher | None, code: VoucherCode) -> list[IntegrationEvent]:
    """The code's masked form, once per voucher, from a code typed at a redemption: its
    statements name the voucher by it. The code must be this voucher's (found by its hash)."""
    if state is None or state.masked_code is not None:
        return []
    return [VoucherCodeMaskRecorded(voucher_id=state.voucher_id, masked_code=code.masked)]
