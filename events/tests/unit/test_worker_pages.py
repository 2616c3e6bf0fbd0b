# SPDX-License-Identifier: Apache-2.0
"""Who may read the worker's live figures: the association, as for the API's figures."""

from __future__ import annotations

import uuid

import pytest

from downtown_events.runtime.faust_worker import _refused
from downtown_events.runtime.identity import TokenIssuer, TownAuthenticator, new_signing_key

TOWN = "pages-town"
ASSOCIATION = f"association-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def catalog() -> TokenIssuer:
    return TokenIssuer(town=TOWN, issuer="catalog", key_id="catalog-1", signing_key=new_signing_key())


@pytest.fixture(scope="module")
def authenticator(catalog: TokenIssuer) -> TownAuthenticator:
    kid, key = catalog.public_key
    return TownAuthenticator(town=TOWN, trusted={kid: key}, association_token=ASSOCIATION)


def test_the_association_may_read_them(authenticator: TownAuthenticator) -> None:
    assert _refused(authenticator, f"Bearer {ASSOCIATION}") is None
    assert _refused(authenticator, f"bearer  {ASSOCIATION} ") is None


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer   ", f"Basic {ASSOCIATION}", ASSOCIATION, "Bearer nonsense"]
)
def test_no_token_or_a_wrong_one_is_401(authenticator: TownAuthenticator, authorization: str | None) -> None:
    refused = _refused(authenticator, authorization)
    assert refused is not None and refused[:2] == (401, "Not authenticated") and refused[2]


def test_a_merchant_is_authenticated_but_not_allowed(authenticator: TownAuthenticator, catalog: TokenIssuer) -> None:
    token = catalog.issue(subject=str(uuid.uuid4()), role="merchant", lifetime_seconds=600)
    assert _refused(authenticator, f"Bearer {token}") == (403, "Not allowed", "only the town's association may do this")
