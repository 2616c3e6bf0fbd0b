# SPDX-License-Identifier: AGPL-3.0-or-later
"""Codes sealed for the buyer: only the buyer's access token opens them.

A purchase's codes are drawn when it starts and must reach the buyer once it is paid, but
the service keeps no usable code: it stores each code's keyed hash (to find a voucher by
its code) and the codes themselves encrypted under a key derived from the buyer's access
token (AES-256-GCM, key by HKDF-SHA256 from the token, the purchase id as salt and
associated data). The token is handed out once, in the answer that started the purchase,
and stored only as its SHA-256. A leaked database or event log therefore holds no code
anyone can redeem, and no token that opens one.

An online purchase's codes are sealed a second time, under the service's delivery key (a
setting the API and the worker share, never stored with the data: ``code_delivery_key``), so
that the worker can put the paid vouchers into the buyer's e-mail without the buyer's token
(issue 16). A leaked database alone still opens nothing; with the delivery key too, it opens
the codes of online purchases. The e-mail's copy lives in the mail outbox until it is pruned.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from uuid import UUID

from downtown_events.runtime.addresses import canonical_email
from downtown_events.runtime.sealing import SealBroken as KitSealBroken
from downtown_events.runtime.sealing import seal, sealing_key, unseal
from vouchers.app.ports import SealBroken

_INFO = b"downtown voucher codes v1"
_DELIVERY_INFO = b"downtown voucher codes for the buyer's e-mail v1"


class AesGcmSeal:
    """The :class:`~vouchers.app.ports.CodeSeal` of the vouchers service."""

    def __init__(self, buyer_key: bytes, delivery_key: bytes = b"") -> None:
        self._buyer_key = buyer_key
        self._delivery_key = delivery_key

    def new_access_token(self) -> str:
        """256 random bits, URL-safe: the buyer's key to the purchase and its codes."""
        return secrets.token_urlsafe(32)

    def token_hash(self, token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def seal(self, token: str, purchase_id: UUID, codes: dict[UUID, str]) -> str:
        """The codes (voucher id -> canonical code) encrypted for the holder of ``token``."""
        return _seal(_key(token.encode(), purchase_id, _INFO), purchase_id, codes)

    def unseal(self, token: str, purchase_id: UUID, sealed: str) -> dict[UUID, str]:
        return _unseal(_key(token.encode(), purchase_id, _INFO), purchase_id, sealed)

    def seal_for_delivery(self, purchase_id: UUID, codes: dict[UUID, str]) -> str:
        """The codes sealed under the delivery key, for the paid vouchers' e-mail."""
        return _seal(_key(self._delivery(), purchase_id, _DELIVERY_INFO), purchase_id, codes)

    def unseal_for_delivery(self, purchase_id: UUID, sealed: str) -> dict[UUID, str]:
        return _unseal(_key(self._delivery(), purchase_id, _DELIVERY_INFO), purchase_id, sealed)

    def _delivery(self) -> bytes:
        if not self._delivery_key:
            raise SealBroken("no delivery key: this process cannot seal or open codes for e-mail")
        return self._delivery_key

    def buyer_ref(self, email: str) -> str:
        """Stands for a buyer across purchases (a campaign's per-buyer cap, open purchases)
        without naming them: the keyed hash of the mailbox's canonical address, so the
        spellings of one mailbox are one buyer."""
        return self._ref(canonical_email(email))

    def earlier_buyer_refs(self, email: str) -> tuple[str, ...]:
        """Before canonical addresses the key was the address trimmed and lower-cased (the
        same HMAC, the same prefix), so a plain address keeps its reference; one whose
        canonical form differs (dots, a ``+tag``, look-alike letters) had this one, which
        campaigns still hold totals under."""
        legacy = self._ref(email.strip().lower())
        return () if legacy == self.buyer_ref(email) else (legacy,)

    def _ref(self, key: str) -> str:
        return hmac.new(self._buyer_key, b"buyer:" + key.encode(), hashlib.sha256).hexdigest()


def _key(secret: bytes, purchase_id: UUID, info: bytes) -> bytes:
    return sealing_key(secret, purchase_id, info)


def _seal(key: bytes, purchase_id: UUID, codes: dict[UUID, str]) -> str:
    return seal(key, purchase_id, json.dumps({str(voucher): code for voucher, code in codes.items()}).encode())


def _unseal(key: bytes, purchase_id: UUID, sealed: str) -> dict[UUID, str]:
    try:
        plain = unseal(key, purchase_id, sealed)
    except KitSealBroken as error:
        raise SealBroken("these codes cannot be opened with this key") from error
    return {UUID(voucher): code for voucher, code in json.loads(plain).items()}
