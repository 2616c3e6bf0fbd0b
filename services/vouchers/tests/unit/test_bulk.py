# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's bulk issue: town vouchers started and paid by the association at once."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from downtown_events.vouchers import ProgrammeClosed, ProgrammeTerms, PurchasePaid, PurchaseStarted
from vouchers.domain import programme, purchase, voucher
from vouchers.domain.bulk import bulk_issue
from vouchers.domain.errors import AlreadyExists, InvalidChange
from vouchers.domain.merchant_standing import MerchantStanding
from vouchers.domain.private_events import PurchaseSecretsSealed
from vouchers.domain.purchase import BuyerSecrets

NOW = datetime(2026, 11, 28, 8, tzinfo=UTC)
TERMS = ProgrammeTerms(name="Stadtgutschein", denominations_cents=[1000, 2000])


def opened(kind: str = "town") -> programme.Programme:
    merchant = MerchantStanding(uuid4(), "Laden", "active", "approved") if kind == "merchant" else None
    events = programme.open_programme(None, programme_id=uuid4(), kind=kind, terms=TERMS, merchant=merchant)  # type: ignore[arg-type]
    state = programme.replay(events)
    assert state is not None
    return state


def contact(voucher_ids: list) -> BuyerSecrets:  # type: ignore[type-arg]
    return BuyerSecrets(
        buyer_email="info@werbegemeinschaft.example",
        buyer_ref="w" * 64,
        access_token_hash="e" * 64,
        sealed_codes="c2VhbGVk",
        code_hashes={voucher_id: secrets.token_hex(32) for voucher_id in voucher_ids},
    )


def test_two_hundred_vouchers_are_started_and_paid_by_the_association_in_one_decision() -> None:
    town, purchase_id, voucher_ids = opened(), uuid4(), [uuid4() for _ in range(200)]
    events = bulk_issue(
        None,
        purchase_id=purchase_id,
        programme=town,
        amount_cents=2000,
        voucher_ids=voucher_ids,
        secrets=contact(voucher_ids),
        reference="Aktion Adventsgewinnspiel",
        now=NOW,
    )
    started, sealed, paid = events
    assert isinstance(started, PurchaseStarted) and started.channel == "bulk" and len(started.items) == 200
    assert started.total_cents == 400_000 and all(item.bonus_cents == 0 for item in started.items)
    assert isinstance(sealed, PurchaseSecretsSealed) and len(sealed.code_hashes) == 200
    assert paid == PurchasePaid(
        purchase_id=purchase_id, method="association", reference="Aktion Adventsgewinnspiel", amount_cents=400_000
    )
    state = purchase.replay(events)
    assert state is not None and state.status == "paid"
    issued = voucher.issue(None, purchase=state, voucher_id=voucher_ids[7], programme=town, today=NOW.date())
    assert len(issued) == 2
    with pytest.raises(AlreadyExists):
        bulk_issue(
            state,
            purchase_id=purchase_id,
            programme=town,
            amount_cents=2000,
            voucher_ids=voucher_ids,
            secrets=contact(voucher_ids),
            reference="again",
            now=NOW,
        )


def test_bulk_vouchers_follow_the_programmes_rules() -> None:
    town, ids = opened(), [uuid4()]
    arguments = dict(purchase_id=uuid4(), voucher_ids=ids, secrets=contact(ids), reference="r", now=NOW)
    with pytest.raises(InvalidChange, match="not sold for"):
        bulk_issue(None, programme=town, amount_cents=1500, **arguments)  # type: ignore[arg-type]
    with pytest.raises(InvalidChange, match="town vouchers"):
        bulk_issue(None, programme=opened("merchant"), amount_cents=1000, **arguments)  # type: ignore[arg-type]
    closed = programme.evolve(town, ProgrammeClosed(programme_id=town.programme_id))
    with pytest.raises(InvalidChange, match="closed"):
        bulk_issue(None, programme=closed, amount_cents=1000, **arguments)  # type: ignore[arg-type]
    with pytest.raises(InvalidChange, match="at most 500"):
        many = [uuid4() for _ in range(501)]
        bulk_issue(
            None, programme=town, amount_cents=1000, **{**arguments, "voucher_ids": many, "secrets": contact(many)}
        )  # type: ignore[arg-type]
