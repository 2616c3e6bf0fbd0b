# SPDX-License-Identifier: AGPL-3.0-or-later
"""Private events: stored and read back through the registry, never part of the published contract."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from downtown_events.contract import registry
from downtown_events.schemas import published_versions
from vouchers.domain.private_events import (
    CampaignBuyerRecorded,
    Gift,
    OrderVoucherPartTaken,
    PurchaseCodesDelivered,
    PurchaseSecretsSealed,
    VoucherAuthorizationReleased,
    VoucherAuthorizationUsed,
    VoucherCodeAssigned,
    VoucherCodeMaskRecorded,
    VoucherPaymentAuthorized,
)

VOUCHER_ID = uuid4()


def sealed(**overrides: object) -> PurchaseSecretsSealed:
    fields: dict[str, object] = dict(
        purchase_id=uuid4(),
        buyer_email="anna@example.de",
        buyer_ref="r" * 64,
        access_token_hash="a" * 64,
        sealed_codes="c2VhbGVkIGNvZGVz",
        code_hashes={VOUCHER_ID: secrets.token_hex(32)},
        gifts=[Gift(voucher_id=VOUCHER_ID, recipient_name="Oma Hilde", message="Alles Gute\nzum Geburtstag!")],
    )
    return PurchaseSecretsSealed(**{**fields, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "event",
    [
        sealed(),
        PurchaseCodesDelivered(purchase_id=uuid4(), delivered_at=datetime(2026, 3, 5, tzinfo=UTC)),
        VoucherCodeAssigned(voucher_id=uuid4(), code_hash=secrets.token_hex(32)),
        VoucherCodeMaskRecorded(voucher_id=uuid4(), masked_code="••••-••••-••••-••••-X7KQ"),
        CampaignBuyerRecorded(campaign_id=uuid4(), purchase_id=uuid4(), buyer_ref="r" * 64),
        VoucherPaymentAuthorized(
            authorization_id=uuid4(),
            voucher_id=VOUCHER_ID,
            amount_cents=2_000,
            authorized_at=datetime(2026, 3, 5, 9, tzinfo=UTC),
            expires_at=datetime(2026, 3, 5, 10, tzinfo=UTC),
        ),
        VoucherAuthorizationUsed(
            authorization_id=uuid4(),
            order_id=uuid4(),
            checkout_id=uuid4(),
            merchant_id=uuid4(),
            voucher_id=VOUCHER_ID,
            voucher_cents=1_500,
            redemption_id=uuid4(),
        ),
        VoucherAuthorizationReleased(
            authorization_id=uuid4(), order_id=uuid4(), voucher_cents=1_500, reason="storniert"
        ),
        OrderVoucherPartTaken(
            order_id=uuid4(),
            merchant_id=uuid4(),
            authorization_id=uuid4(),
            voucher_id=VOUCHER_ID,
            redemption_id=uuid4(),
            voucher_cents=1_500,
        ),
    ],
)
def test_private_events_read_back_from_the_store_but_are_never_published(event: PurchaseSecretsSealed) -> None:
    assert not event.published and event.type_name().startswith("downtown.vouchers.")
    stored = event.model_dump(mode="json")
    assert registry.decode(event.type_name(), event.schema_version, stored) == event
    assert type(event) not in published_versions()


def test_the_buyers_email_is_checked_like_the_catalogs() -> None:
    for address in ("anna", "anna@example", "an na@example.de", "anna@@example.de", " anna@example.de"):
        with pytest.raises(ValidationError):
            sealed(buyer_email=address)
    with pytest.raises(ValidationError):
        sealed(buyer_email="a" * 250 + "@b.de")
    assert sealed(buyer_email="a\x00@b.de").buyer_email == "a@b.de"  # read tolerantly, as every event text


def test_an_authorisation_is_for_a_positive_amount_and_ends_after_it_was_given() -> None:
    given = datetime(2026, 3, 5, 9, tzinfo=UTC)
    for cents, expires_at in ((0, given.replace(hour=10)), (100, given)):
        with pytest.raises(ValidationError):
            VoucherPaymentAuthorized(
                authorization_id=uuid4(),
                voucher_id=VOUCHER_ID,
                amount_cents=cents,
                authorized_at=given,
                expires_at=expires_at,
            )


def test_hashes_are_lower_case_hex_and_texts_have_limits() -> None:
    with pytest.raises(ValidationError):
        sealed(access_token_hash="A" * 64)
    with pytest.raises(ValidationError):
        VoucherCodeAssigned(voucher_id=uuid4(), code_hash="not-a-hash")
    with pytest.raises(ValidationError):  # a mask shows the last group only, never the whole code
        VoucherCodeMaskRecorded(voucher_id=uuid4(), masked_code="7KQM-X2PA-5HJN-R8WT-CE3D")
    with pytest.raises(ValidationError):
        sealed(code_hashes={})
    with pytest.raises(ValidationError):
        Gift(voucher_id=VOUCHER_ID, recipient_name="x" * 121)
    with pytest.raises(ValidationError):
        Gift(voucher_id=VOUCHER_ID, recipient_name="Tom", message="x" * 1001)
    with pytest.raises(ValidationError):
        sealed(sealed_codes="not base64!")
