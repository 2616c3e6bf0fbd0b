# SPDX-License-Identifier: AGPL-3.0-or-later
"""The codes sealed a second time for the buyer's e-mail: the delivery key opens them, for
this purchase only; the buyer's token seal is untouched; a process without the key can
neither seal nor open them. And how the town's payment settings are checked at start."""

from __future__ import annotations

import secrets
from uuid import uuid4

import pytest
from pydantic import ValidationError

from vouchers.adapters.sealing import AesGcmSeal
from vouchers.app.ports import SealBroken
from vouchers.settings import VouchersSettings

CODES = {uuid4(): "ABCD-EFGH-JKLM-NPQR-STUV"}
REQUIRED = {"town": "schoeppingen", "database_url": "postgresql://localhost/x"}


def test_the_delivery_key_opens_the_codes_of_its_purchase_only() -> None:
    seal = AesGcmSeal(b"buyer-key", b"delivery-key")
    purchase_id = uuid4()
    sealed = seal.seal_for_delivery(purchase_id, CODES)
    assert seal.unseal_for_delivery(purchase_id, sealed) == CODES
    assert "ABCD" not in sealed
    with pytest.raises(SealBroken):
        seal.unseal_for_delivery(uuid4(), sealed)  # the purchase id is bound in
    with pytest.raises(SealBroken):
        AesGcmSeal(b"buyer-key", b"another-key").unseal_for_delivery(purchase_id, sealed)
    with pytest.raises(SealBroken):
        seal.unseal(seal.new_access_token(), purchase_id, sealed)  # no buyer's token opens it either
    token = seal.new_access_token()
    with pytest.raises(SealBroken):
        seal.unseal_for_delivery(purchase_id, seal.seal(token, purchase_id, CODES))  # nor it the buyer's


def test_without_a_delivery_key_nothing_is_sealed_for_mail() -> None:
    with pytest.raises(SealBroken, match="no delivery key"):
        AesGcmSeal(b"buyer-key").seal_for_delivery(uuid4(), CODES)


def test_the_association_account_is_checked_and_written_as_people_read_it() -> None:
    settings = VouchersSettings(**REQUIRED, association_iban="de89370400440532013000", association_bic="cobadeffxxx")
    assert settings.association_iban == "DE89 3704 0044 0532 0130 00" and settings.association_bic == "COBADEFFXXX"
    assert VouchersSettings(**REQUIRED).association_iban == ""  # none: no transfer offered
    for wrong in ("DE89 3704 0044 0532 0130 01", "DE00", "not an iban at all"):
        with pytest.raises(ValidationError, match="IBAN"):
            VouchersSettings(**REQUIRED, association_iban=wrong)
    with pytest.raises(ValidationError, match="BIC"):
        VouchersSettings(**REQUIRED, association_bic="COBA")


def test_a_checkout_link_names_only_what_a_purchase_fills_in() -> None:
    url = "https://pay.example/checkout?ref={reference}&amount={amount_cents}&id={purchase_id}"
    assert VouchersSettings(**REQUIRED, payment_checkout_url=url).payment_checkout_url == url
    with pytest.raises(ValidationError, match="may name"):
        VouchersSettings(**REQUIRED, payment_checkout_url="https://pay.example/?mail={buyer_email}")
    with pytest.raises(ValidationError, match="https://"):
        VouchersSettings(**REQUIRED, payment_checkout_url="javascript:alert(1)")


def test_production_refuses_the_development_delivery_key() -> None:
    production = {
        **REQUIRED,
        "environment": "production",
        "association_token": secrets.token_urlsafe(32),
        "code_hash_key": secrets.token_urlsafe(32),
        "payment_webhook_secret": secrets.token_urlsafe(32),
    }
    with pytest.raises(ValidationError, match="DOWNTOWN_CODE_DELIVERY_KEY"):
        VouchersSettings(**production)
    key = secrets.token_urlsafe(32)
    assert VouchersSettings(**production, code_delivery_key=key).code_delivery_key == key
