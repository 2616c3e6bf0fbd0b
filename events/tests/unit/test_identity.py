# SPDX-License-Identifier: Apache-2.0
"""Tokens every service of a town can verify and only their issuer can mint."""

from __future__ import annotations

import time

import jwt
import pytest

from downtown_events.runtime.identity import TokenIssuer, TokenVerifier, new_signing_key, trusted_keys
from downtown_events.runtime.principal import InvalidToken

CATALOG_KEY = new_signing_key()
catalog = TokenIssuer(town="schoeppingen", issuer="catalog", key_id="catalog-1", signing_key=CATALOG_KEY)
kid, entry = catalog.public_key
vouchers = TokenVerifier(town="schoeppingen", trusted={kid: entry})  # holds the public key only


def test_another_service_verifies_what_the_issuer_minted() -> None:
    verified = vouchers.verify(catalog.issue(subject="m-1", role="merchant", lifetime_seconds=60))
    assert (verified.issuer, verified.subject, verified.role) == ("catalog", "m-1", "merchant")
    assert verified.expires_at > time.time()


def test_a_token_signed_by_any_other_key_is_refused_even_under_a_trusted_key_id() -> None:
    forger = TokenIssuer(town="schoeppingen", issuer="catalog", key_id="catalog-1", signing_key=new_signing_key())
    with pytest.raises(InvalidToken, match="Signature verification failed"):
        vouchers.verify(forger.issue(subject="m-1", role="merchant", lifetime_seconds=60))


def test_a_key_is_trusted_for_its_own_issuer_only() -> None:
    impostor = TokenIssuer(town="schoeppingen", issuer="vouchers", key_id="catalog-1", signing_key=CATALOG_KEY)
    with pytest.raises(InvalidToken, match="issuer"):
        vouchers.verify(impostor.issue(subject="m-1", role="merchant", lifetime_seconds=60))


def test_expired_foreign_unknown_and_unsigned_tokens_are_refused() -> None:
    other_town = TokenIssuer(town="muenster", issuer="catalog", key_id="catalog-1", signing_key=CATALOG_KEY)
    unknown_key = TokenIssuer(town="schoeppingen", issuer="catalog", key_id="k9", signing_key=CATALOG_KEY)
    unsigned = jwt.encode({"sub": "m-1", "iss": "catalog"}, key=None, algorithm="none", headers={"kid": "catalog-1"})
    cases = {
        "expired": catalog.issue(subject="m-1", role="merchant", lifetime_seconds=-10),
        "not for this town": other_town.issue(subject="m-1", role="merchant", lifetime_seconds=60),
        "does not trust": unknown_key.issue(subject="m-1", role="merchant", lifetime_seconds=60),
        "token rejected": unsigned,
    }
    for reason, token in cases.items():
        with pytest.raises(InvalidToken, match=reason):
            vouchers.verify(token)


def test_trusted_keys_come_from_settings_and_bad_ones_fail_at_start() -> None:
    assert trusted_keys(f'{{"{kid}": "catalog:{entry[1]}"}}') == {kid: entry}
    with pytest.raises(ValueError, match="issuer:public key"):
        trusted_keys('{"k": "no-issuer"}')
    with pytest.raises(ValueError, match="32 bytes"):
        trusted_keys('{"k": "catalog:c2hvcnQ"}')


def test_the_town_authenticator_knows_merchants_by_the_catalogs_key_and_the_association_by_its_token() -> None:
    from uuid import uuid4

    from downtown_events.runtime.identity import TownAuthenticator
    from downtown_events.runtime.principal import Principal

    vouchers_key = new_signing_key()
    vouchers_issuer = TokenIssuer(town="schoeppingen", issuer="vouchers", key_id="vouchers-1", signing_key=vouchers_key)
    v_kid, v_entry = vouchers_issuer.public_key
    authenticator = TownAuthenticator(
        town="schoeppingen", trusted={kid: entry, v_kid: v_entry}, association_token="a" * 32
    )
    merchant_id = uuid4()
    principal = authenticator.authenticate(
        catalog.issue(subject=str(merchant_id), role="merchant", lifetime_seconds=60)
    )
    assert principal.merchant() == merchant_id and principal.issued_at is not None
    assert authenticator.authenticate("a" * 32) == Principal(role="association")
    # A key trusted for its own service's tokens cannot mint merchants.
    with pytest.raises(InvalidToken, match="not accepted here"):
        authenticator.authenticate(
            vouchers_issuer.issue(subject=str(merchant_id), role="merchant", lifetime_seconds=60)
        )
    with pytest.raises(InvalidToken, match="Bearer"):
        authenticator.authenticate("")


def test_a_revoked_token_is_refused_by_its_time_or_by_its_id() -> None:
    from datetime import UTC, datetime, timedelta
    from uuid import uuid4

    from downtown_events.runtime.identity import IssuingAuthenticator
    from downtown_events.runtime.principal import ensure_current

    ordering = IssuingAuthenticator(
        town="schoeppingen",
        issuer="ordering",
        key_id="ordering-1",
        signing_key=new_signing_key(),
        trusted={},
        association_token="a" * 32,
    )
    principal = ordering.authenticate(ordering.issue(uuid4(), role="customer", lifetime_seconds=60))
    assert principal.customer() and principal.token_id is not None and principal.issued_at is not None
    issued = principal.issued_at
    assert ensure_current(principal, None) == principal
    assert ensure_current(principal, issued - timedelta(microseconds=1), revoked={"another token"}) == principal
    with pytest.raises(InvalidToken, match="replaced by a newer one"):
        ensure_current(principal, issued)
    with pytest.raises(InvalidToken, match="you signed out"):
        ensure_current(principal, None, revoked={principal.token_id}, reason="you signed out")
    assert ordering.authenticate("a" * 32).token_id is None
    assert datetime.now(UTC) - issued < timedelta(seconds=60)


def test_dispatch_mints_courier_tokens_that_only_a_service_naming_couriers_accepts() -> None:
    from uuid import uuid4

    from downtown_events.runtime.identity import IssuingAuthenticator, TownAuthenticator
    from downtown_events.runtime.principal import ROLE_ISSUERS, NotPermitted

    dispatch = IssuingAuthenticator(
        town="schoeppingen",
        issuer="dispatch",
        key_id="dispatch-1",
        signing_key=new_signing_key(),
        trusted={kid: entry},
        association_token="a" * 32,
        signed_roles=("merchant", "customer", "courier"),
    )
    courier_id = uuid4()
    token = dispatch.issue(courier_id, role="courier", lifetime_seconds=60)
    principal = dispatch.authenticate(token)
    assert (principal.role, principal.courier(), principal.courier_id) == ("courier", courier_id, courier_id)
    assert principal.merchant_id is None and principal.customer_id is None
    with pytest.raises(NotPermitted, match="only a merchant"):
        principal.merchant()
    with pytest.raises(NotPermitted, match="only the town's association"):
        principal.association()
    merchant = dispatch.authenticate(catalog.issue(subject=str(uuid4()), role="merchant", lifetime_seconds=60))
    with pytest.raises(NotPermitted, match="only a courier"):
        merchant.courier()
    # Ordering, vouchers and the catalog tell merchants from customers: a courier is neither.
    d_kid, d_entry = dispatch._issuer.public_key
    ordering = TownAuthenticator(town="schoeppingen", trusted={d_kid: d_entry}, association_token="a" * 32)
    with pytest.raises(InvalidToken, match="courier token is not accepted by this service"):
        ordering.authenticate(token)
    # Only dispatch mints couriers: the catalog's key cannot.
    with pytest.raises(InvalidToken, match="courier token from catalog is not accepted"):
        dispatch.authenticate(catalog.issue(subject=str(courier_id), role="courier", lifetime_seconds=60))
    assert ROLE_ISSUERS["courier"] == "dispatch"
