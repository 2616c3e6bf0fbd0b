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
from vouchers.domain import campaign, programme, purchase
from vouchers.domain.bonus import reserved_bonuses
from vouchers.domain.errors import (
    AlreadyExists,
    AlreadyPaid,
    CodesAlreadyDelivered,
    InvalidChange,
    NotAllowed,
    NotFound,
    NotYetKnown,
)
from vouchers.domain.merchant_standing import MerchantStanding
from vouchers.domain.private_events import Gift, PurchaseCodesDelivered, PurchaseSecretsSealed
from vouchers.domain.purchase import BuyerSecrets
from vouchers.domain.sale import campaign_bonuses

NOW = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=30)
TOKEN = secrets.token_urlsafe(32)
TOKEN_HASH = hashlib.sha256(TOKEN.encode()).hexdigest()
TERMS = ProgrammeTerms(name="Gutschein", denominations_cents=[1000, 2500, 5000])
SHOP = MerchantStanding(uuid4(), "Weinhandlung", "active")
OTHER_SHOP = MerchantStanding(uuid4(), "Blumen Meyer", "active")


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
    with pytest.raises(InvalidChange, match=r"not sold for 20\.00"):
        start([item(TOWN, 2000)])
    with pytest.raises(NotFound, match="no such voucher programme"):
        start([PurchaseItem(voucher_id=uuid4(), programme_id=uuid4(), amount_cents=1000)])
    closed = programme.evolve(TOWN, ProgrammeClosed(programme_id=TOWN.programme_id))
    with pytest.raises(InvalidChange, match="closed"):
        start([item()], programmes={**PROGRAMMES, TOWN.programme_id: closed})
    with pytest.raises(InvalidChange, match="at least one"):
        start([])


def test_a_merchant_voucher_needs_its_merchant_in_good_standing_and_known() -> None:
    suspended = MerchantStanding(SHOP.merchant_id, SHOP.name, "suspended")
    with pytest.raises(NotAllowed, match="suspended"):
        start([item(WINE)], merchants={**MERCHANTS, SHOP.merchant_id: suspended})
    with pytest.raises(NotYetKnown, match="try again"):
        start([item(WINE)], merchants={})
    closed_shop = MerchantStanding(SHOP.merchant_id, SHOP.name, "closed")
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


def test_a_bonus_must_be_the_campaigns_reservation_for_this_purchase() -> None:
    events = campaign.start(
        None,
        campaign_id=uuid4(),
        programme=TOWN,
        name="Bonus",
        bonus_percent=20,
        budget_cents=100_000,
        per_buyer_cap_cents=5_000,
        ends_at=EXPIRES,
        now=NOW,
    )
    bonus = campaign.replay(events)
    assert bonus is not None
    purchase_id = uuid4()
    for event in campaign.reserve(
        bonus, purchase_id=purchase_id, buyer_ref="r" * 64, amounts_cents=[2500, 5000], now=NOW
    ):
        bonus = campaign.evolve(bonus, event)
    parts = reserved_bonuses(bonus, purchase_id=purchase_id, amounts_cents=[2500, 5000])
    items = [
        item(TOWN, amount, bonus_cents=part, campaign_id=bonus.campaign_id)
        for amount, part in zip([2500, 5000], parts, strict=True)
    ]
    started, _ = start(items, purchase_id=purchase_id, campaigns={bonus.campaign_id: bonus})
    assert isinstance(started, PurchaseStarted) and started.total_cents == 7500  # the bonus is not paid for
    assert campaign_bonuses(started.items) == {bonus.campaign_id: 1500}
    with pytest.raises(InvalidChange, match=r"reserved 0\.00 €"):
        start(items, campaigns={bonus.campaign_id: bonus})  # another purchase's reservation
    with pytest.raises(InvalidChange, match="campaign of its programme"):
        start(items, purchase_id=purchase_id)
    with pytest.raises(InvalidChange, match="name it"):
        start([item(TOWN, 2500, bonus_cents=500)])
    skewed = [items[0].model_copy(update={"bonus_cents": 1000}), items[1].model_copy(update={"bonus_cents": 500})]
    with pytest.raises(InvalidChange, match="20 %"):
        start(skewed, purchase_id=purchase_id, campaigns={bonus.campaign_id: bonus})


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
    with pytest.raises(InvalidChange, match=r"payment of 20.00 € does not match the total 25.00 €"):
        purchase.pay(pending(), method="bank_transfer", reference="SEPA-1", amount_cents=2000)


def test_cash_is_taken_by_a_named_merchant() -> None:
    state = pending()
    with pytest.raises(InvalidChange, match="name the merchant"):
        purchase.pay(state, method="cash", reference="", amount_cents=2500)
    (event,) = purchase.pay(state, method="cash", reference="", amount_cents=2500, merchant_id=SHOP.merchant_id)
    assert isinstance(event, PurchasePaid) and event.merchant_id == SHOP.merchant_id
    counter = purchase.replay(start([item()], channel="counter", seller=SHOP))
    with pytest.raises(NotAllowed, match="merchant who made it"):
        purchase.pay(counter, method="cash", reference="", amount_cents=2500, merchant_id=OTHER_SHOP.merchant_id)


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
