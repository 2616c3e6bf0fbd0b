# SPDX-License-Identifier: Apache-2.0
"""Who is calling: one principal type and one way to authenticate a bearer token, in every service.

A town's callers hold one of two kinds of credential:

- a **signed token** (an Ed25519 JWT, see :mod:`downtown_events.runtime.identity`) minted by
  the service that owns that kind of caller — the catalog mints merchant tokens, ordering
  customer tokens, dispatch courier tokens — and
  verified by every service of the town with the issuer's public key;
- the **association's token**, a secret configured per town, compared in constant time.

Revocation is the issuer's business, told to the others as an event (the catalog's
``MerchantTokensRevoked``, ordering's customer signing out); each service checks
``issued_at`` (and, for a token signed out on its own, ``token_id``) against what it has
seen, with :func:`ensure_current`, so :class:`Principal` carries both.

This module is what a use case knows of its caller, and imports no token library; reading
a bearer token (the JWT and the association's secret) is
:class:`~downtown_events.runtime.identity.TownAuthenticator`'s, wired by ``bootstrap``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

Role = Literal["merchant", "customer", "courier", "association"]
ROLE_ISSUERS: dict[str, str] = {"merchant": "catalog", "customer": "ordering", "courier": "dispatch"}
"""Which service may mint a token of each role: a merchant token signed by any other
service's key is refused, even though that key is trusted for its own tokens."""


class InvalidToken(Exception):
    """Missing, malformed, forged, expired or foreign token; the message says which."""


class NotPermitted(Exception):
    """The caller is authenticated but may not do this (HTTP 403 in every service)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    """An authenticated caller of this town."""

    role: Role
    subject: UUID | None = None
    issued_at: datetime | None = None
    token_id: str | None = None
    """The token's ``jti`` (a signed token's only): what signing out one token revokes."""

    @property
    def merchant_id(self) -> UUID | None:
        return self.subject if self.role == "merchant" else None

    def merchant(self) -> UUID:
        """The caller's merchant id; anyone else is refused."""
        if self.role != "merchant" or self.subject is None:
            raise NotPermitted("only a merchant may do this; use your merchant token")
        return self.subject

    @property
    def customer_id(self) -> UUID | None:
        return self.subject if self.role == "customer" else None

    def customer(self) -> UUID:
        """The caller's customer account; anyone else is refused."""
        if self.role != "customer" or self.subject is None:
            raise NotPermitted("only a signed-in customer may do this; sign in with the link we e-mail you")
        return self.subject

    @property
    def courier_id(self) -> UUID | None:
        return self.subject if self.role == "courier" else None

    def courier(self) -> UUID:
        """The caller's courier id; anyone else is refused. Whether the courier still rides
        for the town (not removed) is the issuer's to check, on its roster."""
        if self.role != "courier" or self.subject is None:
            raise NotPermitted("only a courier may do this; use the token the association gave you")
        return self.subject

    def association(self) -> None:
        if self.role != "association":
            raise NotPermitted("only the town's association may do this")


REPLACED = "this token was signed out or replaced by a newer one; sign in again, or ask the association"


def ensure_current(
    principal: Principal,
    tokens_valid_after: datetime | None,
    *,
    revoked: Collection[str] = (),
    reason: str = REPLACED,
) -> Principal:
    """Refuse a token issued before its subject's tokens were revoked — a merchant's by the
    catalog's ``MerchantTokensRevoked`` (as each service's replica of the merchant knows it),
    a customer's by signing out everywhere — or one revoked by its id (``revoked``: a
    customer who signed out on one device). ``reason`` is what the caller is told."""
    if principal.token_id is not None and principal.token_id in revoked:
        raise InvalidToken(reason)
    if principal.issued_at is not None and tokens_valid_after is not None and principal.issued_at <= tokens_valid_after:
        raise InvalidToken(reason)
    return principal
