# SPDX-License-Identifier: AGPL-3.0-or-later
"""A purchase: a buyer orders vouchers, pays (or not), and fetches the codes once.

Nothing is issued before the purchase is paid, and a campaign's bonus comes with a payment
whose money is verified (``VERIFIED``), never before; an unpaid purchase expires. The
buyer's identity and the codes travel in a private event appended with the public
``PurchaseStarted``, the bonus a payment granted in one appended with ``PurchasePaid`` (see
:mod:`vouchers.domain.private_events`).

Cash is money a merchant says it took: a merchant confirms cash only for what it sells
itself (its counter sales, online purchases of its own programmes), never for town vouchers
bought online, whose money is the association's to see arrive.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import reduce
from typing import Literal
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.money import format_money
from downtown_events.references import purchase_reference
from downtown_events.vouchers import (
    PaymentMethod,
    PurchaseChannel,
    PurchaseExpiredUnpaid,
    PurchaseItem,
    PurchasePaid,
    PurchaseStarted,
)
from vouchers.domain.errors import (
    AlreadyExists,
    AlreadyPaid,
    CodesAlreadyDelivered,
    InvalidChange,
    LimitReached,
    NotAllowed,
    NotFound,
    NotTheBuyer,
    checked,
)
from vouchers.domain.merchant_standing import MerchantStanding
from vouchers.domain.payment import VERIFIED as VERIFIED  # what a campaign's bonus needs, see payment.py
from vouchers.domain.payment import BonusGrant, ensure_takes_cash, granted
from vouchers.domain.private_events import PurchaseBonusGranted, PurchaseCodesDelivered, PurchaseSecretsSealed
from vouchers.domain.programme import Programme
from vouchers.domain.sale import BuyerSecrets, check_items, started_events
from vouchers.domain.sale import campaign_bonuses as campaign_bonuses  # what to grant or release, per campaign

PurchaseStatus = Literal["pending", "paid", "expired"]


@dataclass(frozen=True)
class Purchase:
    purchase_id: UUID
    channel: PurchaseChannel
    items: tuple[PurchaseItem, ...]
    total_cents: int
    expires_at: datetime
    merchant_id: UUID | None = None
    status: PurchaseStatus = "pending"
    payment_reference: str | None = None
    secrets: BuyerSecrets | None = field(default=None, repr=False)
    codes_delivered: bool = False
    version: int = 0

    @property
    def transfer_reference(self) -> str:
        """What a buyer writes in a bank transfer's reference so the association can tell
        which purchase the money is for: short enough to type, read out or copy
        (``GS-A1B2C3D4``: "Gutschein", and the purchase id's short reference, as an order's)."""
        return transfer_reference(self.purchase_id)

    @property
    def language(self) -> str:
        """The buyer's language, for their mails (German when the purchase did not say)."""
        return self.secrets.language if self.secrets is not None else "de"

    def code_hash(self, voucher_id: UUID) -> str:
        """The keyed hash of the code sold for ``voucher_id`` (for issuing the voucher)."""
        if self.secrets is None or voucher_id not in self.secrets.code_hashes:
            raise NotFound("this purchase sold no such voucher")
        return self.secrets.code_hashes[voucher_id]


def transfer_reference(purchase_id: UUID) -> str:
    """See :attr:`Purchase.transfer_reference` (the kit's :func:`purchase_reference`)."""
    return purchase_reference(purchase_id)


_REFERENCE = re.compile(r"^\s*GS\s*-?\s*([0-9A-F]{8})\s*$", re.IGNORECASE)


def reference_range(reference: str) -> tuple[UUID, UUID]:
    """The purchase ids a transfer's reference stands for (``GS-A1B2C3D4``, also written
    ``gs a1b2c3d4``): every id whose first eight hex digits it names, lowest and highest. A
    name for people, not a key: two purchases may share it (the amount tells them apart)."""
    match = _REFERENCE.match(reference[:40])
    if match is None:
        raise InvalidChange("a purchase's reference is GS- and eight hex digits, as its payment instructions name it")
    prefix = match.group(1).lower()
    return UUID(prefix + "0" * 24), UUID(prefix + "f" * 24)


def evolve(state: Purchase | None, event: IntegrationEvent) -> Purchase:
    if isinstance(event, PurchaseStarted):
        return Purchase(
            event.purchase_id,
            event.channel,
            tuple(event.items),
            event.total_cents,
            event.expires_at,
            event.merchant_id,
            version=1,
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before PurchaseStarted")
    state = replace(state, version=state.version + 1)
    match event:
        case PurchaseSecretsSealed():
            secrets = BuyerSecrets(
                event.buyer_email,
                event.buyer_ref,
                event.access_token_hash,
                event.sealed_codes,
                event.code_hashes,
                tuple(event.gifts),
                event.language,
                event.delivery_sealed_codes,
            )
            return replace(state, secrets=secrets)
        case PurchasePaid(reference=reference):
            return replace(state, status="paid", payment_reference=reference)
        case PurchaseBonusGranted(campaign_id=campaign_id, bonuses=bonuses):
            items = tuple(
                item.model_copy(update={"bonus_cents": bonuses[item.voucher_id], "campaign_id": campaign_id})
                if item.voucher_id in bonuses
                else item
                for item in state.items
            )
            return replace(state, items=items)
        case PurchaseExpiredUnpaid():
            return replace(state, status="expired")
        case PurchaseCodesDelivered():
            return replace(state, codes_delivered=True)
    return state


def replay(events: Iterable[IntegrationEvent]) -> Purchase | None:
    history = list(events)
    if history and not isinstance(history[0], PurchaseStarted):
        raise NotFound("no such purchase")
    return reduce(evolve, history, None)


def ensure_exists(state: Purchase | None) -> Purchase:
    if state is None:
        raise NotFound("no such purchase")
    return state


def start(
    state: Purchase | None,
    *,
    purchase_id: UUID,
    channel: PurchaseChannel,
    items: Sequence[PurchaseItem],
    secrets: BuyerSecrets,
    expires_at: datetime,
    now: datetime,
    programmes: Mapping[UUID, Programme],
    merchants: Mapping[UUID, MerchantStanding],
    seller: MerchantStanding | None = None,
    open_unpaid: OpenUnpaid | None = None,
) -> list[IntegrationEvent]:
    """Every item is sold by an open programme, for an amount it sells, by merchants allowed
    to sell; ``merchants`` holds the standing of each merchant programme's merchant,
    ``seller`` the merchant selling at the counter. An online buyer has at most
    ``open_unpaid.most`` purchases waiting for their money (``open_unpaid.now`` counts them)."""
    if state is not None:
        raise AlreadyExists("this purchase was started before")
    if expires_at <= now:
        raise InvalidChange("an unpaid purchase must stay payable for a while; expires_at lies in the past")
    if (channel == "counter") != (seller is not None):
        raise InvalidChange("a counter sale, and only a counter sale, names the merchant selling")
    check_items(items, secrets, programmes, merchants, seller)
    if channel == "online" and open_unpaid is not None and open_unpaid.now >= open_unpaid.most:
        raise LimitReached(
            f"this e-mail address has {open_unpaid.now} purchases waiting for payment, the most it may; pay one of "
            "them, or start again once they lapse unpaid"
        )
    return started_events(purchase_id, channel, items, secrets, expires_at, seller)


@dataclass(frozen=True)
class OpenUnpaid:
    """A buyer's purchases waiting for their money (from a read model, a moment behind: a
    burst of starts may pass ``most`` by the few in flight), and the most the town allows."""

    now: int
    most: int


def pay(
    state: Purchase | None,
    *,
    method: PaymentMethod,
    reference: str,
    amount_cents: int,
    merchant_id: UUID | None = None,
    programmes: Mapping[UUID, Programme] | None = None,
    bonuses: Sequence[BonusGrant] = (),
) -> list[IntegrationEvent]:
    """The money arrived. A provider retrying its callback decides nothing; a second payment
    under another reference is refused, so it is refunded rather than silently kept. A
    purchase still pending after ``expires_at`` (its expiry not yet recorded) is paid: the
    money is real. Cash names the merchant who took it, who must be the one selling
    (``programmes``: the purchase's, see the module's docstring). ``bonuses``: what the
    campaigns granted for this payment, only for verified money."""
    purchase = ensure_exists(state)
    if purchase.status == "paid":
        if reference == purchase.payment_reference:
            return []
        raise AlreadyPaid("this purchase was paid before under another payment reference; refund this payment")
    if purchase.status == "expired":
        raise InvalidChange("this purchase expired unpaid; refund the payment and start a new purchase")
    if amount_cents != purchase.total_cents:
        raise InvalidChange(
            f"the payment of {format_money(amount_cents, 'en')} does not match "
            f"the total {format_money(purchase.total_cents, 'en')}"
        )
    if None not in (merchant_id, purchase.merchant_id) and merchant_id != purchase.merchant_id:
        raise NotAllowed("a counter sale is paid at the counter of the merchant who made it")
    if method == "cash":
        ensure_takes_cash(purchase, merchant_id, programmes or {})
    paid = checked(
        PurchasePaid,
        purchase_id=purchase.purchase_id,
        method=method,
        reference=reference,
        amount_cents=amount_cents,
        merchant_id=merchant_id,
    )
    return [paid, *granted(purchase, method, bonuses)]


def expire_unpaid(state: Purchase | None, *, now: datetime) -> list[IntegrationEvent]:
    """The expiry job: a purchase not paid in time ends; once ended (paid or expired) it
    decides nothing, so the job may run as often as it likes."""
    purchase = ensure_exists(state)
    if purchase.status != "pending":
        return []
    if now < purchase.expires_at:
        raise InvalidChange(f"this purchase may still be paid until {purchase.expires_at.isoformat()}")
    return [PurchaseExpiredUnpaid(purchase_id=purchase.purchase_id)]


def ensure_buyer(state: Purchase | None, access_token_hash: str) -> Purchase:
    """Only the bearer of the buyer's access token sees the purchase; to anyone else it
    does not exist. Compared in constant time."""
    expected = state.secrets.access_token_hash if state is not None and state.secrets is not None else ""
    if state is None or not expected or not hmac.compare_digest(expected.encode(), access_token_hash.encode()):
        raise NotTheBuyer("this access token does not open a purchase of this id; use the one its start gave")
    return state


def deliver_codes(state: Purchase | None, *, access_token_hash: str, now: datetime) -> list[IntegrationEvent]:
    """The buyer fetches the codes of a paid purchase, in full, once: a link forwarded or
    a browser history replayed later shows balances, not codes."""
    purchase = ensure_buyer(state, access_token_hash)
    if purchase.status != "paid":
        raise InvalidChange("the codes are ready once the purchase is paid")
    if purchase.codes_delivered:
        raise CodesAlreadyDelivered("the codes of this purchase were shown once already; they are not shown again")
    return [PurchaseCodesDelivered(purchase_id=purchase.purchase_id, delivered_at=now)]
