"""Bearer tokens: merchant tokens the catalog mints (Ed25519 JWTs, see runtime/identity),
and the association's configured token.

A merchant token names the town, the merchant and its expiry; every service of the town
trusts the catalog's public key, so all of them accept it, and none but the catalog can
mint one. Whether the merchant has since revoked its older tokens is the handlers' check.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from catalog.app.handlers import Principal
from downtown_events.runtime.identity import InvalidToken, TokenIssuer, TokenVerifier

ISSUER = "catalog"


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    issued_at: datetime | None  # for merchant tokens: checked against the merchant's revocations


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
        self._issuer = TokenIssuer(town=town, issuer=ISSUER, key_id=key_id, signing_key=signing_key)
        own_kid, own_key = self._issuer.public_key
        self._verifier = TokenVerifier(town=town, trusted={**trusted, own_kid: own_key})
        self._association_token = association_token
        self._lifetime = merchant_token_days * 86_400

    def issue_merchant_token(self, merchant_id: UUID) -> str:
        return self._issuer.issue(subject=str(merchant_id), role="merchant", lifetime_seconds=self._lifetime)

    def authenticate(self, token: str) -> Authenticated:
        if hmac.compare_digest(token.encode(), self._association_token.encode()):
            return Authenticated(Principal(role="association"), None)
        verified = self._verifier.verify(token)
        if verified.issuer != ISSUER or verified.role != "merchant":
            raise InvalidToken("this is not a merchant token of this town's catalog")
        try:
            merchant_id = UUID(verified.subject)
        except ValueError:
            raise InvalidToken("token subject is not a merchant id") from None
        issued_at = datetime.fromtimestamp(verified.issued_at, UTC)
        return Authenticated(Principal(role="merchant", merchant_id=merchant_id), issued_at)
