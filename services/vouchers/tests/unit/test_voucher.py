# SPDX-License-Identifier: AGPL-3.0-or-later
"""Vouchers: issued from a paid purchase with their code's hash; expired with breakage."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from downtown_events.vouchers import (
    ProgrammeChanged,
    ProgrammeClosed,
    ProgrammeTerms,
    PurchaseItem,
    ValidityPolicy,
    VoucherExpired,
    VoucherIssued,
)
from vouchers.domain import programme, purchase, voucher
from vouchers.domain.balance import expire
from vouchers.domain.errors import AlreadyExists, InvalidChange, NotFound
from vouchers.domain.merchant_standing import MerchantStanding
from vouchers.domain.private_events import VoucherCodeAssigned
from vouchers.domain.purchase import BuyerSecrets

NOW = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
SHOP = MerchantStanding(uuid4(), "Weinhandlung", "active", "approved")
TERMS = ProgrammeTerms(name="Wein-Gutschein", denominations_cents=[2500])
WINE = programme.replay(
    programme.open_programme(None, programme_id=uuid4(), kind="merchant", terms=TERMS, merchant=SHOP)
)
assert WINE is not None
ITEM = PurchaseItem(voucher_id=uuid4(), programme_id=WINE.programme_id, amount_cents=2500)
CODE_HASH = secrets.token_hex(32)


def bought(pay: bool = True) -> purchase.Purchase:
    buyer = BuyerSecrets(
        buyer_email="anna@example.de",
        buyer_ref="r" * 64,
        access_token_hash=hashlib.sha256(b"token").hexdigest(),
        sealed_codes="c2VhbGVk",
        code_hashes={ITEM.voucher_id: CODE_HASH},
    )
    events = purchase.start(
        None,
        purchase_id=uuid4(),
        channel="online",
        items=[ITEM],
        secrets=buyer,
        expires_at=NOW + timedelta(hours=1),
        now=NOW,
        programmes={WINE.programme_id: WINE},
        merchants={SHOP.merchant_id: SHOP},
    )
    if pay:
        events += purchase.pay(purchase.replay(events), method="provider", reference="psp", amount_cents=2500)
    state = purchase.replay(events)
    assert state is not None
    return state


def issued(paid: int = 3000, bonus: int = 600, expires_on: date = date(2029, 12, 31)) -> voucher.Voucher:
    voucher_id = uuid4()
    state = voucher.replay(
        [
            VoucherIssued(
                voucher_id=voucher_id,
                purchase_id=uuid4(),
                programme_id=uuid4(),
                kind="town",
                value_cents=paid + bonus,
                paid_cents=paid,
                bonus_cents=bonus,
                expires_on=expires_on,
            ),
            VoucherCodeAssigned(voucher_id=voucher_id, code_hash=CODE_HASH),
        ]
    )
    assert state is not None
    return state


def test_a_paid_item_is_issued_as_a_voucher_with_its_code_hash() -> None:
    sale = bought()
    issued_, assigned = voucher.issue(None, purchase=sale, voucher_id=ITEM.voucher_id, programme=WINE, today=TODAY)
    assert issued_ == VoucherIssued(
        voucher_id=ITEM.voucher_id,
        purchase_id=sale.purchase_id,
        programme_id=WINE.programme_id,
        kind="merchant",
        merchant_id=SHOP.merchant_id,
        value_cents=2500,
        paid_cents=2500,
        expires_on=date(2029, 12, 31),
    )
    assert assigned == VoucherCodeAssigned(voucher_id=ITEM.voucher_id, code_hash=CODE_HASH) and not assigned.published
    state = voucher.replay([issued_, assigned])
    assert state is not None and state.balance_cents == 2500 and state.code_hash == CODE_HASH
    assert CODE_HASH not in repr(state)
    assert voucher.issue(state, purchase=sale, voucher_id=ITEM.voucher_id, programme=WINE, today=TODAY) == []
    with pytest.raises(AlreadyExists):
        voucher.issue(state, purchase=bought(), voucher_id=ITEM.voucher_id, programme=WINE, today=TODAY)


def test_the_value_is_what_was_paid_plus_the_bonus() -> None:
    sale = bought()
    with_bonus = PurchaseItem(**{**ITEM.model_dump(), "bonus_cents": 500, "campaign_id": uuid4()})
    sale = purchase.Purchase(**{**vars(sale), "items": (with_bonus,)})
    issued_, _ = voucher.issue(None, purchase=sale, voucher_id=ITEM.voucher_id, programme=WINE, today=TODAY)
    assert isinstance(issued_, VoucherIssued)
    assert (issued_.value_cents, issued_.paid_cents, issued_.bonus_cents) == (3000, 2500, 500)
    assert issued_.campaign_id == with_bonus.campaign_id


def test_validity_follows_the_programmes_policy_from_the_day_of_payment() -> None:
    policy = ValidityPolicy(years=1, to_end_of_year=False)
    later = programme.evolve(
        WINE, ProgrammeChanged(programme_id=WINE.programme_id, terms=TERMS.model_copy(update={"validity": policy}))
    )
    closed = programme.evolve(later, ProgrammeClosed(programme_id=WINE.programme_id))
    issued_, _ = voucher.issue(
        None, purchase=bought(), voucher_id=ITEM.voucher_id, programme=closed, today=date(2028, 2, 29)
    )
    assert isinstance(issued_, VoucherIssued) and issued_.expires_on == date(2029, 2, 28)  # sold before it closed


def test_only_a_paid_purchases_own_items_are_issued() -> None:
    with pytest.raises(InvalidChange, match="once their purchase is paid"):
        voucher.issue(None, purchase=bought(pay=False), voucher_id=ITEM.voucher_id, programme=WINE, today=TODAY)
    with pytest.raises(NotFound, match="no such voucher"):
        voucher.issue(None, purchase=bought(), voucher_id=uuid4(), programme=WINE, today=TODAY)
    other = programme.replay(programme.open_programme(None, programme_id=uuid4(), kind="town", terms=TERMS))
    assert other is not None
    with pytest.raises(InvalidChange, match="programme it was sold in"):
        voucher.issue(None, purchase=bought(), voucher_id=ITEM.voucher_id, programme=other, today=TODAY)


def test_a_voucher_is_valid_through_its_last_day_and_expires_the_day_after() -> None:
    state = issued(expires_on=date(2029, 12, 31))
    assert state.valid_on(date(2029, 12, 31)) and not state.valid_on(date(2030, 1, 1))
    with pytest.raises(InvalidChange, match="valid through 2029-12-31"):
        expire(state, today=date(2029, 12, 31))
    (expired,) = expire(state, today=date(2030, 1, 1))
    assert expired == VoucherExpired(
        voucher_id=state.voucher_id,
        expired_on=date(2030, 1, 1),
        breakage_cents=3600,
        paid_breakage_cents=3000,
        bonus_breakage_cents=600,
    )
    state = voucher.evolve(state, expired)
    assert (state.balance_cents, state.breakage_cents) == (0, 3600)
    assert expire(state, today=date(2030, 1, 2)) == []  # the job may run again


def test_an_empty_voucher_expires_without_an_event() -> None:
    state = issued(paid=0, bonus=500)
    state = voucher.evolve(
        state,
        VoucherExpired(
            voucher_id=state.voucher_id,
            expired_on=date(2030, 1, 1),
            breakage_cents=500,
            paid_breakage_cents=0,
            bonus_breakage_cents=500,
        ),
    )
    assert expire(state, today=date(2031, 1, 1)) == []


def test_an_unknown_voucher_or_another_stream_is_not_found() -> None:
    with pytest.raises(NotFound):
        expire(None, today=TODAY)
    with pytest.raises(NotFound):
        voucher.replay([VoucherCodeAssigned(voucher_id=uuid4(), code_hash=CODE_HASH)])
