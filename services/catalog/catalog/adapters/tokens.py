# SPDX-License-Identifier: AGPL-3.0-or-later
"""Merchant tokens: the catalog mints them (Ed25519 JWTs, see runtime/identity); every
service of the town verifies them, with the association's token, through the runtime's
:class:`~downtown_events.runtime.identity.TownAuthenticator`.

A merchant token names the town, the merchant and its expiry. Whether the merchant has
since revoked its older tokens is the handlers' check (the merchant's own stream).
"""

from __future__ import annotations

from uuid import UUID

from downtown_events.runtime.identity import IssuingAuthenticator
from downtown_events.runtime.principal import Principal

ISSUER = "catalog"


class CatalogTokens:
    def __init__(
        self,
        *,
        town: str,
        signing_key: str,
        key_id: str,
        trusted: dict[str, tuple[str, str]],
        association_token: str,
        merchant_token_days: int,
    ) -> None:
        self._authenticator = IssuingAuthenticator(
            town=town,
            issuer=ISSUER,
            key_id=key_id,
            signing_key=signing_key,
            trusted=trusted,
            association_token=association_token,
        )
        self._lifetime = merchant_token_days * 86_400

    def issue_merchant_token(self, merchant_id: UUID) -> str:
        return self._authenticator.issue(merchant_id, role="merchant", lifetime_seconds=self._lifetime)

    def authenticate(self, token: str) -> Principal:
        return self._authenticator.authenticate(token)
