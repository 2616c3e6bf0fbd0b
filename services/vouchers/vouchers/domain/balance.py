# SPDX-License-Identifier: AGPL-3.0-or-later
"""What changes a :class:`Voucher`'s balance: redeeming it, reversing or refunding a
redemption, and its expiry.

Each request names its own id (``redemption_id``, ``refund_id``), so a retried request
decides nothing and a reused id with other content is refused. What is left at expiry is
breakage, and money credited back to a voucher past its validity becomes breakage in the
same decision, so the liability the events add up to never counts money nobody can spend.

Why a redemption was reversed or refunded is free text someone typed at a counter (it has
held a voucher code and an e-mail address): it is kept in a private event appended with the
public one, whose own ``reason`` stays empty, so no typed word reaches the public topic.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.money import format_money
from downtown_events.vouchers import (
    RedemptionChannel,
    VoucherExpired,
    VoucherRedeemed,
    VoucherRedemptionReversed,
    VoucherRefunded,
)
from vouchers.domain.errors import (
    InsufficientBalance,
    InvalidChange,
    NotAllowed,
    NotFound,
    RequestIdReused,
    VoucherHasExpired,
    checked,
)
from vouchers.domain.merchant_standing import MerchantStanding, ensure_may_give_back, ensure_may_redeem
from vouchers.domain.private_events import VoucherRefundReasonRecorded, VoucherReversalReasonRecorded
from vouchers.domain.voucher import Redemption, Voucher, ensure_exists, evolve


def redeem(
    state: Voucher | None,
    *,
    redemption_id: UUID,
    merchant: MerchantStanding,
    amount_cents: int,
    today: date,
    merchant_accepts: bool = False,
    channel: RedemptionChannel = "counter",
    order_id: UUID | None = None,
) -> list[IntegrationEvent]:
    """Pay ``amount_cents`` with the voucher at ``merchant``: the buyer's money first, then
    the bonus. A town voucher needs ``merchant_accepts`` (the merchant is a member of its
    programme, see ``membership.accepts``); a merchant voucher is good at its merchant only."""
    voucher = ensure_exists(state)
    earlier = voucher.redemptions.get(redemption_id)
    if earlier is not None:
        if earlier.asks_the_same(merchant.merchant_id, amount_cents, order_id):
            return []
        raise RequestIdReused("this redemption id was used for another redemption; send a new id")
    if amount_cents <= 0:
        raise InvalidChange("the amount to redeem must be positive")
    if channel == "order" and order_id is None:
        raise InvalidChange("a redemption for an order names the order")
    _ensure_redeemable_at(voucher, ensure_may_redeem(merchant), merchant_accepts)
    if not voucher.valid_on(today):
        raise VoucherHasExpired(f"this voucher was valid through {voucher.expires_on.isoformat()}")
    if amount_cents > voucher.balance_cents:
        raise InsufficientBalance(
            f"the voucher's balance is {format_money(voucher.balance_cents, 'en')}; "
            "redeem at most that and pay the rest otherwise"
        )
    paid_part = min(amount_cents, voucher.paid_balance_cents)
    redeemed = checked(
        VoucherRedeemed,
        voucher_id=voucher.voucher_id,
        merchant_id=merchant.merchant_id,
        amount_cents=amount_cents,
        paid_part_cents=paid_part,
        bonus_part_cents=amount_cents - paid_part,
        balance_after_cents=voucher.balance_cents - amount_cents,
        redemption_id=redemption_id,
        channel=channel,
        order_id=order_id,
    )
    return [redeemed]


def _ensure_redeemable_at(voucher: Voucher, merchant: MerchantStanding, merchant_accepts: bool) -> None:
    if voucher.kind == "merchant":
        if merchant.merchant_id != voucher.merchant_id:
            raise NotAllowed("this is another merchant's voucher; it is redeemable only where it was bought")
    elif not merchant_accepts:
        raise NotAllowed("this shop has not joined the voucher's town programme; join it to accept these vouchers")


def _redemption(voucher: Voucher, redemption_id: UUID, merchant_id: UUID | None) -> Redemption:
    """The redemption, if made at ``merchant_id`` (when given); others' look absent."""
    redemption = voucher.redemptions.get(redemption_id)
    if redemption is None or (merchant_id is not None and redemption.merchant_id != merchant_id):
        raise NotFound("no such redemption of this voucher")
    return redemption


def _giving_back(by: MerchantStanding | None) -> UUID | None:
    """Who gives money back: a merchant (its own redemptions only, and only while it may act
    with money), or nobody named (the association, the order saga), for any redemption."""
    if by is None:
        return None
    return ensure_may_give_back(by).merchant_id


def reverse_redemption(
    state: Voucher | None,
    *,
    redemption_id: UUID,
    today: date,
    reason: str = "",
    by: MerchantStanding | None = None,
    order_id: UUID | None = None,
) -> list[IntegrationEvent]:
    """Undo a redemption as a whole (the order was rejected, a slip at the counter): what of
    it was not refunded yet goes back. Reversing twice decides nothing. A redemption that
    pays an order is the order saga's to reverse (``order_id`` names that order): reversed
    over the counter, the order would still count as paid by voucher. ``by``: the merchant
    reversing its own redemption (see :func:`_giving_back`)."""
    voucher = ensure_exists(state)
    redemption = _redemption(voucher, redemption_id, _giving_back(by))
    _ensure_not_an_orders(redemption, order_id, "reversed")
    paid, bonus = redemption.open_paid_cents, redemption.open_bonus_cents
    if redemption.reversed or paid + bonus == 0:
        return []
    reversed_ = checked(
        VoucherRedemptionReversed,
        voucher_id=voucher.voucher_id,
        merchant_id=redemption.merchant_id,
        amount_cents=paid + bonus,
        paid_part_cents=paid,
        bonus_part_cents=bonus,
        balance_after_cents=voucher.balance_cents + paid + bonus,
        redemption_id=redemption_id,
    )
    why: list[IntegrationEvent] = []
    if reason:
        why.append(
            checked(
                VoucherReversalReasonRecorded, voucher_id=voucher.voucher_id, redemption_id=redemption_id, reason=reason
            )
        )
    return _credited(voucher, reversed_, today, why)


def refund(
    state: Voucher | None,
    *,
    refund_id: UUID,
    redemption_id: UUID,
    amount_cents: int,
    today: date,
    reason: str = "",
    by: MerchantStanding | None = None,
) -> list[IntegrationEvent]:
    """Credit part of a redemption back (goods returned): the bonus part first, as it was
    spent last. A retried refund decides nothing. ``by``: the merchant refunding its own
    redemption (see :func:`_giving_back`)."""
    voucher = ensure_exists(state)
    earlier = voucher.refunds.get(refund_id)
    if earlier is not None:
        if (earlier.redemption_id, earlier.amount_cents) == (redemption_id, amount_cents):
            return []
        raise RequestIdReused("this refund id was used for another refund; send a new id")
    redemption = _redemption(voucher, redemption_id, _giving_back(by))
    _ensure_not_an_orders(redemption, None, "refunded")
    if redemption.reversed:
        raise InvalidChange("this redemption was reversed as a whole; nothing of it is left to refund")
    left = redemption.open_paid_cents + redemption.open_bonus_cents
    if amount_cents <= 0 or amount_cents > left:
        raise InvalidChange(f"a refund of this redemption must be positive and at most {format_money(left, 'en')}")
    bonus = min(amount_cents, redemption.open_bonus_cents)
    refunded = checked(
        VoucherRefunded,
        voucher_id=voucher.voucher_id,
        merchant_id=redemption.merchant_id,
        amount_cents=amount_cents,
        paid_part_cents=amount_cents - bonus,
        bonus_part_cents=bonus,
        balance_after_cents=voucher.balance_cents + amount_cents,
        refund_id=refund_id,
        redemption_id=redemption_id,
    )
    why: list[IntegrationEvent] = []
    if reason:
        why.append(
            checked(VoucherRefundReasonRecorded, voucher_id=voucher.voucher_id, refund_id=refund_id, reason=reason)
        )
    return _credited(voucher, refunded, today, why)


def _ensure_not_an_orders(redemption: Redemption, order_id: UUID | None, doing: str) -> None:
    """Only the order saga gives back an order's voucher part, when the order ends."""
    if redemption.order_id is not None and redemption.order_id != order_id:
        raise InvalidChange(
            f"this redemption pays order {redemption.order_id} and cannot be {doing} here; "
            "cancel the order instead, and its voucher part comes back by itself"
        )


def _credited(
    voucher: Voucher, credit: IntegrationEvent, today: date, why: list[IntegrationEvent]
) -> list[IntegrationEvent]:
    """The credit and, privately, why it was given. A credit to a voucher past its validity
    cannot be spent: it is breakage at once (with anything else still on it the expiry job
    has not reached yet)."""
    if voucher.valid_on(today):
        return [credit, *why]
    return [credit, *why, *breakage(evolve(voucher, credit), today)]


def expire(state: Voucher | None, *, today: date) -> list[IntegrationEvent]:
    """The expiry job, on the day after the last valid day or later: what is left becomes
    breakage. An empty or already expired voucher decides nothing."""
    voucher = ensure_exists(state)
    if voucher.valid_on(today):
        raise InvalidChange(f"this voucher is valid through {voucher.expires_on.isoformat()}; it expires after that")
    return breakage(voucher, today)


def breakage(voucher: Voucher, today: date) -> list[IntegrationEvent]:
    """What is left on a voucher past its validity, as breakage split into its parts."""
    if voucher.balance_cents == 0:
        return []
    return [
        VoucherExpired(
            voucher_id=voucher.voucher_id,
            expired_on=today,
            breakage_cents=voucher.balance_cents,
            paid_breakage_cents=voucher.paid_balance_cents,
            bonus_breakage_cents=voucher.bonus_balance_cents,
        )
    ]
