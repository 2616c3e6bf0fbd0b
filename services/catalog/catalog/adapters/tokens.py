"""Bearer tokens: signed merchant tokens (JWT, HS256) and the association's configured token.

A merchant token names the town and the merchant; it is only accepted by the instance of
the town that signed it, with that town's secret, so a token of one town is worthless in
another.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from uuid import UUID

import jwt

from catalog.app.handlers import Principal


class InvalidToken(Exception):
    """Missing, malformed, forged or foreign token; the reason says which."""


class TokenService:
    def __init__(self, town: str, secret: str, association_token: str) -> None:
        self._town = town
        self._secret = secret
        self._association_token = association_token

    def issue_merchant_token(self, merchant_id: UUID) -> str:
        claims = {"sub": str(merchant_id), "town": self._town, "role": "merchant", "iat": datetime.now(UTC)}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def principal(self, token: str) -> Principal:
        if hmac.compare_digest(token.encode(), self._association_token.encode()):
            return Principal(role="association")
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], options={"require": ["sub", "town"]})
        except jwt.PyJWTError as error:
            raise InvalidToken(f"token rejected: {error}") from None
        if claims.get("town") != self._town or claims.get("role") != "merchant":
            raise InvalidToken("this token is not for this town")
        try:
            return Principal(role="merchant", merchant_id=UUID(claims["sub"]))
        except ValueError:
            raise InvalidToken("token subject is not a merchant id") from None
