# SPDX-License-Identifier: AGPL-3.0-or-later
"""Purchases: started with their secrets, paid once, expired when unpaid, codes shown once."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from downtown_events.contract import IntegrationEvent
from downtown_events.vouchers import (
    ProgrammeClosed,
    ProgrammeTerms,
    PurchaseExpiredUnpaid,
    PurchaseItem,
    PurchasePaid,
    PurchaseStarted,
)
from vouchers.domain import programme, purchase
from vouchers.domain.errors import (
    AlreadyExists,
    AlreadyPaid,
    CodesAlreadyDelivered,
    InvalidChange,
    LimitReached,
    NotAllowed,
    NotFound,
    NotYetKnown,
)
from vouchers.domain.merchant_standing import MerchantStanding
from vouchers.domain.private_events import Gift, PurchaseBonusGranted, PurchaseCodesDelivered, PurchaseSecretsSealed
from vouchers.domain.purchase import BonusGrant, BuyerSecrets
from vouchers.domain.sale import campaign_bonuses

NOW = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=30)
TOKEN = secrets.token_urlsafe(32)
TOKEN_HASH = hashlib.sha256(TOKEN.encode()).hexdigest()
TERMS = ProgrammeTerms(name="Gutschein", denominations_cents=[1000, 2500, 5000])
SHOP = MerchantStanding(uuid4(), "Weinhandlung", "active", "approved")
OTHER_SHOP = MerchantStanding(uuid4(), "Blumen Meyer", "active", "approved")


def opened(kind: str, merchant: MerchantStanding | None = None) -> programme.Programme:
    events = programme.open_programme(None, programme_id=uuid4(), kind=kind, terms=TERMS, merchant=merchant)  # type: ignore[arg-type]
    state = programme.replay(events)
    assert state is not None
    return state


TOWN = opened("town")
WINE = opened("merchant", SHOP)
FLOWERS = opened("merchant", OTHER_SHOP)
PROGRAMMES = {p.programme_id: p for p in (TOWN, WINE, FLOWERS)}
MERCHANTS = {SHOP.merchant_id: SHOP, OTHER_SHOP.merchant_id: OTHER_SHOP}


def item(programme_: programme.Programme = TOWN, amount: int = 2500, **extra: object) -> PurchaseItem:
    return PurchaseItem(voucher_id=uuid4(), programme_id=programme_.programme_id, amount_cents=amount, **extra)  # type: ignore[arg-type]


def sealed_for(
    items: Sequence[PurchaseItem], gifts: Sequence[Gift] = (), email: str = "anna@example.de"
) -> BuyerSecrets:
    return BuyerSecrets(
        buyer_email=email,
        buyer_ref="r" * 64,
        access_token_hash=TOKEN_HASH,
        sealed_codes="c2VhbGVk",
        code_hashes={i.voucher_id: secrets.token_hex(32) for i in items},
        gifts=tuple(gifts),
    )


def start(items: Sequence[PurchaseItem], **overrides: object) -> list[IntegrationEvent]:
    arguments: dict[str, object] = dict(
        purchase_id=uuid4(),
        channel="online",
        items=items,
        secrets=sealed_for(items),
        expires_at=EXPIRES,
        now=NOW,
        programmes=PROGRAMMES,
        merchants=MERCHANTS,
    )
    return purchase.start(None, **{**arguments, **overrides})  # type: ignore[arg-type]


def pending(*items: PurchaseItem) -> purchase.Purchase:
    state = purchase.replay(start(items or [item()]))
    assert state is not None
    return state


def paid(*items: PurchaseItem, reference: str = "psp-1") -> purchase.Purchase:
    state = pending(*items)
    (event,) = purchase.pay(state, method="provider", reference=reference, amount_cents=state.total_cents)
    return purchase.evolve(state, event)


def test_starting_records_the_public_order_and_the_private_secrets() -> None:
    items = [item(TOWN, 2500), item(WINE, 5000, gift=True)]
    gift = Gift(voucher_id=items[1].voucher_id, recipient_name="Oma Hilde", message="Alles Gute!")
    buyer = sealed_for(items, [gift])
    purchase_id = uuid4()
    started, sealed = start(items, purchase_id=purchase_id, secrets=buyer)
    assert started == PurchaseStarted(
        purchase_id=purchase_id, channel="online", items=items, total_cents=7500, expires_at=EXPIRES
    )
    assert isinstance(sealed, PurchaseSecretsSealed) and not sealed.published
    assert (sealed.buyer_email, sealed.code_hashes, sealed.gifts) == ("anna@example.de", buyer.code_hashes, [gift])
    state = purchase.replay([started, sealed])
    assert state is not None and state.status == "pending" and state.secrets == buyer
    assert state.code_hash(items[0].voucher_id) == buyer.code_hashes[items[0].voucher_id]
    assert "anna" not in repr(state)


def test_starting_twice_is_refused() -> None:
    with pytest.raises(AlreadyExists):
        purchase.start(
            pending(),
            purchase_id=uuid4(),
            channel="online",
            items=[item()],
            secrets=sealed_for([item()]),
            expires_at=EXPIRES,
            now=NOW,
            programmes=PROGRAMMES,
            merchants=MERCHANTS,
        )


def test_every_item_must_be_sellable() -> None:
    with pytest.raises(InvalidChange, match=r"not sold for €20\.00"):
        start([item(TOWN, 2000)])
    with pytest.raises(NotFound, match="no such voucher programme"):
        start([PurchaseItem(voucher_id=uuid4(), programme_id=uuid4(), amount_cents=1000)])
    closed = programme.evolve(TOWN, ProgrammeClosed(programme_id=TOWN.programme_id))
    with pytest.raises(InvalidChange, match="closed"):
        start([item()], programmes={**PROGRAMMES, TOWN.programme_id: closed})
    with pytest.raises(InvalidChange, match="at least one"):
        start([])


def test_a_merchant_voucher_needs_its_merchant_in_good_standing_and_known() -> None:
    suspended = MerchantStanding(SHOP.merchant_id, SHOP.name, "suspended", "approved")
    with pytest.raises(NotAllowed, match="suspended"):
        start([item(WINE)], merchants={**MERCHANTS, SHOP.merchant_id: suspended})
    with pytest.raises(NotYetKnown, match="try again"):
        start([item(WINE)], merchants={})
    closed_shop = MerchantStanding(SHOP.merchant_id, SHOP.name, "closed", "approved")
    assert start([item(WINE)], merchants={SHOP.merchant_id: closed_shop})  # a shut shop sells vouchers


def test_at_the_counter_a_merchant_sells_its_own_and_town_vouchers() -> None:
    started, _ = start([item(WINE), item(TOWN)], channel="counter", seller=SHOP)
    assert isinstance(started, PurchaseStarted) and started.merchant_id == SHOP.merchant_id
    with pytest.raises(NotAllowed, match="not another merchant's"):
        start([item(FLOWERS)], channel="counter", seller=SHOP)
    with pytest.raises(InvalidChange, match="counter sale"):
        start([item()], channel="counter")
    with pytest.raises(InvalidChange, match="counter sale"):
        start([item()], seller=SHOP)


def test_codes_gifts_ids_and_the_payment_deadline_must_fit_the_items() -> None:
    items = [item(), item()]
    with pytest.raises(InvalidChange, match="exactly one code"):
        start(items, secrets=sealed_for(items[:1]))
    with pytest.raises(InvalidChange, match="its own id"):
        start([items[0], items[0]])
    gift_item = item(gift=True)
    with pytest.raises(InvalidChange, match="gift needs one recipient"):
        start([gift_item])
    stray = Gift(voucher_id=items[0].voucher_id, recipient_name="Tom")
    with pytest.raises(InvalidChange, match="gift needs one recipient"):
        start(items, secrets=sealed_for(items, [stray]))
    with pytest.raises(InvalidChange, match="expires_at lies in the past"):
        start(items, expires_at=NOW)


def test_what_the_contract_refuses_comes_back_as_a_reason() -> None:
    items = [item()]
    with pytest.raises(InvalidChange, match="buyer_email"):
        start(items, secrets=sealed_for(items, email="not-an-address"))


def test_a_started_purchase_carries_no_bonus_the_town_gives_it_with_verified_money() -> None:
    """Five purchases nobody paid once held a campaign's whole budget for 72 hours."""
    with pytest.raises(InvalidChange, match="granted when the purchase is paid"):
        start([item(TOWN, 2500, bonus_cents=500, campaign_id=uuid4())])
    with pytest.raises(InvalidChange, match="granted when the purchase is paid"):
        start([item(TOWN, 2500, bonus_cents=500)])
    items = [item(TOWN, 2500), item(TOWN, 5000)]
    state = pending(*items)
    campaign_id = uuid4()
    grant = BonusGrant(campaign_id, {items[0].voucher_id: 500, items[1].voucher_id: 1000})

    paid_, granted = purchase.pay(state, method="provider", reference="psp-7", amount_cents=7500, bonuses=[grant])

    assert isinstance(paid_, PurchasePaid) and paid_.amount_cents == 7500  # the bonus is not paid for
    assert granted == PurchaseBonusGranted(
        purchase_id=state.purchase_id,
        campaign_id=campaign_id,
        bonuses={i.voucher_id: b for i, b in zip(items, [500, 1000], strict=True)},
    )
    assert not granted.published
    after = purchase.replay([*start(items, purchase_id=state.purchase_id), paid_, granted])
    assert after is not None and campaign_bonuses(after.items) == {campaign_id: 1500}
    assert [(i.bonus_cents, i.campaign_id) for i in after.items] == [(500, campaign_id), (1000, campaign_id)]
    assert purchase.pay(after, method="provider", reference="psp-7", amount_cents=7500, bonuses=[grant]) == []


@pytest.mark.parametrize("method", ["cash", "association"])
def test_money_nobody_but_the_seller_saw_earns_no_bonus(method: str) -> None:
    """Counter cash is the merchant's word until the association settles with it."""
    counter = purchase.replay(start([item()], channel="counter", seller=SHOP))
    grant = BonusGrant(uuid4(), {counter.items[0].voucher_id: 500}) if counter else None
    assert counter is not None and grant is not None
    with pytest.raises(InvalidChange, match="verified money"):
        purchase.pay(
            counter,
            method=method,
            reference="Bon 1",
            amount_cents=2500,
            merchant_id=SHOP.merchant_id,
            bonuses=[grant],  # type: ignore[arg-type]
        )


def test_a_bonus_goes_to_the_purchases_own_vouchers_once() -> None:
    state = pending(item(TOWN, 2500))
    voucher_id = state.items[0].voucher_id
    twice = [BonusGrant(uuid4(), {voucher_id: 500}), BonusGrant(uuid4(), {voucher_id: 500})]
    with pytest.raises(InvalidChange, match="one campaign's bonus at most"):
        purchase.pay(state, method="provider", reference="p", amount_cents=2500, bonuses=twice)
    with pytest.raises(InvalidChange, match="one campaign's bonus at most"):
        purchase.pay(
            state, method="provider", reference="p", amount_cents=2500, bonuses=[BonusGrant(uuid4(), {uuid4(): 1})]
        )


def test_a_reservation_from_the_purchases_start_is_kept_not_granted_twice() -> None:
    """Purchases started before bonuses waited for the money hold a reservation already."""
    campaign_id = uuid4()
    old = purchase.replay(
        [
            PurchaseStarted(
                purchase_id=uuid4(),
                channel="online",
                items=[item(TOWN, 2500, bonus_cents=500, campaign_id=campaign_id)],
                total_cents=2500,
                expires_at=EXPIRES,
            )
        ]
    )
    assert old is not None and campaign_bonuses(old.items) == {campaign_id: 500}
    again = BonusGrant(uuid4(), {old.items[0].voucher_id: 500})
    with pytest.raises(InvalidChange, match="reserved when the purchase started"):
        purchase.pay(old, method="provider", reference="p", amount_cents=2500, bonuses=[again])
    assert purchase.pay(old, method="provider", reference="p", amount_cents=2500)


def test_a_buyer_has_only_so_many_purchases_waiting_for_money() -> None:
    with pytest.raises(LimitReached, match="3 purchases waiting for payment"):
        start([item()], open_unpaid=purchase.OpenUnpaid(now=3, most=3))
    assert start([item()], open_unpaid=purchase.OpenUnpaid(now=2, most=3))
    # A counter sale is paid on the spot: nothing waits.
    assert start([item()], channel="counter", seller=SHOP, open_unpaid=purchase.OpenUnpaid(now=9, most=3))


def test_an_unapproved_merchants_vouchers_are_not_sold_not_even_online() -> None:
    stranger = MerchantStanding(SHOP.merchant_id, SHOP.name, "active", "none")
    with pytest.raises(NotAllowed, match="not approved"):
        start([item(WINE)], merchants={**MERCHANTS, SHOP.merchant_id: stranger})
    with pytest.raises(NotAllowed, match="not approved"):
        start([item(TOWN)], channel="counter", seller=stranger)
    withdrawn = MerchantStanding(SHOP.merchant_id, SHOP.name, "active", "withdrawn")
    with pytest.raises(NotAllowed, match="withdrew its approval"):
        start([item(TOWN)], channel="counter", seller=withdrawn)


def test_paying_the_total_marks_the_purchase_paid_and_a_retried_callback_changes_nothing() -> None:
    state = pending(item(TOWN, 2500), item(WINE, 1000))
    (event,) = purchase.pay(state, method="provider", reference="psp-42", amount_cents=3500)
    assert event == PurchasePaid(
        purchase_id=state.purchase_id, method="provider", reference="psp-42", amount_cents=3500
    )
    state = purchase.evolve(state, event)
    assert state.status == "paid"
    assert purchase.pay(state, method="provider", reference="psp-42", amount_cents=3500) == []
    with pytest.raises(AlreadyPaid, match="refund this payment"):
        purchase.pay(state, method="provider", reference="psp-43", amount_cents=3500)


def test_a_payment_must_match_the_total() -> None:
    with pytest.raises(InvalidChange, match=r"payment of €20.00 does not match the total €25.00"):
        purchase.pay(pending(), method="bank_transfer", reference="SEPA-1", amount_cents=2000)


def test_cash_is_taken_by_a_named_merchant_for_what_it_sells_itself() -> None:
    """The same token could once mark any pending online purchase paid in cash."""
    own = pending(item(WINE, 1000))
    with pytest.raises(InvalidChange, match="name the merchant"):
        purchase.pay(own, method="cash", reference="", amount_cents=1000, programmes=PROGRAMMES)
    (event,) = purchase.pay(
        own, method="cash", reference="", amount_cents=1000, merchant_id=SHOP.merchant_id, programmes=PROGRAMMES
    )
    assert isinstance(event, PurchasePaid) and event.merchant_id == SHOP.merchant_id
    for foreign in (pending(item(TOWN)), pending(item(FLOWERS)), pending(item(WINE, 1000), item(TOWN, 1000))):
        with pytest.raises(NotAllowed, match="its own counter sales and its own vouchers only"):
            purchase.pay(
                foreign,
                method="cash",
                reference="",
                amount_cents=foreign.total_cents,
                merchant_id=SHOP.merchant_id,
                programmes=PROGRAMMES,
            )
    counter = purchase.replay(start([item()], channel="counter", seller=SHOP))
    assert counter is not None
    with pytest.raises(NotAllowed, match="merchant who made it"):
        purchase.pay(counter, method="cash", reference="", amount_cents=2500, merchant_id=OTHER_SHOP.merchant_id)
    assert purchase.pay(counter, method="cash", reference="", amount_cents=2500, merchant_id=SHOP.merchant_id)


def test_an_unpaid_purchase_expires_at_its_deadline_not_before_and_only_once() -> None:
    state = pending()
    with pytest.raises(InvalidChange, match="may still be paid until"):
        purchase.expire_unpaid(state, now=EXPIRES - timedelta(seconds=1))
    (expired,) = purchase.expire_unpaid(state, now=EXPIRES)
    assert expired == PurchaseExpiredUnpaid(purchase_id=state.purchase_id)
    state = purchase.evolve(state, expired)
    assert purchase.expire_unpaid(state, now=EXPIRES + timedelta(days=1)) == []
    with pytest.raises(InvalidChange, match="expired unpaid"):
        purchase.pay(state, method="provider", reference="late", amount_cents=2500)
    assert purchase.expire_unpaid(paid(), now=EXPIRES) == []


def test_a_late_payment_before_the_expiry_is_recorded_is_accepted() -> None:
    assert purchase.pay(pending(), method="provider", reference="slow-psp", amount_cents=2500)


def test_the_buyer_fetches_the_codes_of_a_paid_purchase_once() -> None:
    with pytest.raises(InvalidChange, match="once the purchase is paid"):
        purchase.deliver_codes(pending(), access_token_hash=TOKEN_HASH, now=NOW)
    state = paid()
    with pytest.raises(NotFound):
        purchase.deliver_codes(state, access_token_hash=hashlib.sha256(b"guess").hexdigest(), now=NOW)
    (delivered,) = purchase.deliver_codes(state, access_token_hash=TOKEN_HASH, now=NOW)
    assert delivered == PurchaseCodesDelivered(purchase_id=state.purchase_id, delivered_at=NOW)
    state = purchase.evolve(state, delivered)
    with pytest.raises(CodesAlreadyDelivered, match="not shown again"):
        purchase.deliver_codes(state, access_token_hash=TOKEN_HASH, now=NOW)
    assert purchase.ensure_buyer(state, TOKEN_HASH) is state


def test_an_unknown_purchase_or_another_stream_is_not_found() -> None:
    with pytest.raises(NotFound):
        purchase.pay(None, method="provider", reference="x", amount_cents=1)
    with pytest.raises(NotFound):
        purchase.replay([PurchaseExpiredUnpaid(purchase_id=uuid4())])
    with pytest.raises(NotFound, match="no such voucher"):
        paid().code_hash(uuid4())
