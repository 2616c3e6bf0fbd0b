# SPDX-License-Identifier: Apache-2.0
"""Tokens a town's services can all verify, and only their issuer can mint.

A token is a JWT signed with Ed25519 (``EdDSA``). The service that mints a kind of token
(catalog for merchants) holds the private key; every service of the town holds the public
keys it trusts, by key id (``kid``), each bound to the issuer that may use it. So vouchers
can verify a merchant token but cannot mint one, and a key can be rotated by adding the
new public key before the issuer switches to it.

Every token names its town, issuer, subject and role, and expires (``exp``). Revocation
is the issuer's business, told to the others as an event: a token issued before the
subject's "tokens valid after" time is refused (see ``MerchantTokensRevoked``).

:class:`TownAuthenticator` turns a bearer token into the
:class:`~downtown_events.runtime.principal.Principal` a use case is given. What a use case
knows of its caller (the principal, :class:`~downtown_events.runtime.principal.InvalidToken`,
:class:`~downtown_events.runtime.principal.NotPermitted`) lives in
:mod:`downtown_events.runtime.principal`, which imports no token library; this module is the
adapter, wired by a service's ``bootstrap`` and the worker.
"""

from __future__ import annotations

import base64
import hmac
import json
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from downtown_events.runtime.principal import ROLE_ISSUERS, InvalidToken, Principal, Role

ALGORITHM = "EdDSA"
_SIGNED_ROLES: dict[str, Role] = {"merchant": "merchant", "customer": "customer", "courier": "courier"}
"""A verified token's role claim as a principal's role (every role in ``ROLE_ISSUERS``)."""
SHOPPING_ROLES: tuple[Role, ...] = ("merchant", "customer")
"""The signed roles a service accepts unless it says otherwise. A courier token is accepted
only where it is named (dispatch): a service whose use cases tell merchants from customers
by elimination must never meet a third kind of caller it would take for one of them."""


@dataclass(frozen=True)
class VerifiedToken:
    issuer: str
    subject: str
    role: str
    issued_at: float
    expires_at: float
    token_id: str


def new_signing_key() -> str:
    """A fresh Ed25519 private key, as the base64url text the settings hold."""
    return _b64(Ed25519PrivateKey.generate().private_bytes_raw())


def public_key_of(signing_key: str) -> str:
    return _b64(_private(signing_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def trusted_keys(text: str) -> dict[str, tuple[str, str]]:
    """``{"<kid>": "<issuer>:<public key>"}`` (JSON, as in ``DOWNTOWN_TRUSTED_TOKEN_KEYS``)
    to ``{kid: (issuer, public key)}``."""
    if not text.strip():
        return {}
    parsed = json.loads(text)
    if not isinstance(parsed, dict):
        raise ValueError("trusted token keys must be a JSON object of key id -> 'issuer:public key'")
    keys = {}
    for kid, value in parsed.items():
        issuer, _, key = str(value).partition(":")
        if not issuer or not key:
            raise ValueError(f"trusted token key {kid!r} must be 'issuer:public key'")
        _public(key)  # refuse a malformed key at start, not at the first request
        keys[str(kid)] = (issuer, key)
    return keys


class TokenIssuer:
    """Mints the tokens of one issuer (a service) in one town."""

    def __init__(self, *, town: str, issuer: str, key_id: str, signing_key: str) -> None:
        self._town = town
        self._issuer = issuer
        self._key_id = key_id
        self._key = _private(signing_key)

    @property
    def public_key(self) -> tuple[str, tuple[str, str]]:
        """(kid, (issuer, public key)): what every verifier of the town must trust."""
        raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return self._key_id, (self._issuer, _b64(raw))

    def issue(self, *, subject: str, role: str, lifetime_seconds: int) -> str:
        now = time.time()
        claims = {
            "iss": self._issuer,
            "sub": subject,
            "role": role,
            "town": self._town,
            "iat": now,  # fractional: a token issued right after a revocation must be after it
            "exp": int(now + lifetime_seconds),
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._key_id})


class TokenVerifier:
    """Verifies tokens of the town signed by a trusted key, for its issuer only."""

    def __init__(self, *, town: str, trusted: dict[str, tuple[str, str]]) -> None:
        self._town = town
        self._trusted = {kid: (issuer, _public(key)) for kid, (issuer, key) in trusted.items()}

    def verify(self, token: str) -> VerifiedToken:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise InvalidToken(f"token rejected: {error}") from None
        if kid not in self._trusted:
            raise InvalidToken("token rejected: signed with a key this town does not trust")
        issuer, key = self._trusted[kid]
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=issuer,
                options={"require": ["iss", "sub", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired; get a new one") from None
        except jwt.PyJWTError as error:
            raise InvalidToken(f"token rejected: {error}") from None
        if claims.get("town") != self._town:
            raise InvalidToken("this token is not for this town")
        return VerifiedToken(
            issuer=issuer,
            subject=str(claims["sub"]),
            role=str(claims.get("role", "")),
            issued_at=float(claims["iat"]),
            expires_at=float(claims["exp"]),
            token_id=str(claims["jti"]),
        )


class TownAuthenticator:
    """Turns a bearer token into a :class:`Principal` of this town, or raises
    :class:`~downtown_events.runtime.principal.InvalidToken` saying why not."""

    def __init__(
        self,
        *,
        town: str,
        trusted: dict[str, tuple[str, str]],
        association_token: str,
        signed_roles: Collection[Role] = SHOPPING_ROLES,
    ) -> None:
        self._verifier = TokenVerifier(town=town, trusted=trusted)
        self._association_token = association_token.encode()
        self._signed_roles = frozenset(signed_roles)

    def authenticate(self, token: str) -> Principal:
        if not token:
            raise InvalidToken("send 'Authorization: Bearer <token>' (a merchant token or the association's)")
        if hmac.compare_digest(token.encode(), self._association_token):
            return Principal(role="association")
        verified = self._verifier.verify(token)
        if verified.role not in ROLE_ISSUERS or ROLE_ISSUERS[verified.role] != verified.issuer:
            raise InvalidToken(f"a {verified.role or 'role-less'} token from {verified.issuer} is not accepted here")
        if verified.role not in self._signed_roles:
            raise InvalidToken(f"a {verified.role} token is not accepted by this service")
        try:
            subject = UUID(verified.subject)
        except ValueError:
            raise InvalidToken("token subject is not an id") from None
        role = _SIGNED_ROLES[verified.role]
        issued_at = datetime.fromtimestamp(verified.issued_at, UTC)
        return Principal(role=role, subject=subject, issued_at=issued_at, token_id=verified.token_id)


class IssuingAuthenticator(TownAuthenticator):
    """The authenticator of a service that also mints one role's tokens (the catalog merchant
    tokens, ordering customer tokens, dispatch courier tokens): it trusts its own key beside
    the town's others."""

    def __init__(
        self,
        *,
        town: str,
        issuer: str,
        key_id: str,
        signing_key: str,
        trusted: dict[str, tuple[str, str]],
        association_token: str,
        signed_roles: Collection[Role] = SHOPPING_ROLES,
    ) -> None:
        self._issuer = TokenIssuer(town=town, issuer=issuer, key_id=key_id, signing_key=signing_key)
        own_kid, own_key = self._issuer.public_key
        super().__init__(
            town=town,
            trusted={**trusted, own_kid: own_key},
            association_token=association_token,
            signed_roles=signed_roles,
        )

    def issue(self, subject: UUID, *, role: Role, lifetime_seconds: int) -> str:
        return self._issuer.issue(subject=str(subject), role=role, lifetime_seconds=lifetime_seconds)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _raw(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as error:
        raise ValueError("an Ed25519 key must be 32 bytes in base64url") from error
    if len(raw) != 32:
        raise ValueError("an Ed25519 key must be 32 bytes in base64url")
    return raw


def _private(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_raw(text))


def _public(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_raw(text))
