# SPDX-License-Identifier: AGPL-3.0-or-later
"""Codes sealed for the buyer: only the buyer's access token opens them.

A purchase's codes are drawn when it starts and must reach the buyer once it is paid, but
the service keeps no usable code: it stores each code's keyed hash (to find a voucher by
its code) and the codes themselves encrypted under a key derived from the buyer's access
token (AES-256-GCM, key by HKDF-SHA256 from the token, the purchase id as salt and
associated data). The token is handed out once, in the answer that started the purchase,
and stored only as its SHA-256. A leaked database or event log therefore holds no code
anyone can redeem, and no token that opens one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from downtown_events.runtime.addresses import canonical_email
from vouchers.app.ports import SealBroken

_INFO = b"downtown voucher codes v1"


class AesGcmSeal:
    """The :class:`~vouchers.app.ports.CodeSeal` of the vouchers service."""

    def __init__(self, buyer_key: bytes) -> None:
        self._buyer_key = buyer_key

    def new_access_token(self) -> str:
        """256 random bits, URL-safe: the buyer's key to the purchase and its codes."""
        return secrets.token_urlsafe(32)

    def token_hash(self, token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def seal(self, token: str, purchase_id: UUID, codes: dict[UUID, str]) -> str:
        """The codes (voucher id -> canonical code) encrypted for the holder of ``token``."""
        nonce = os.urandom(12)
        plain = json.dumps({str(voucher): code for voucher, code in codes.items()}).encode()
        sealed = AESGCM(_key(token, purchase_id)).encrypt(nonce, plain, purchase_id.bytes)
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def unseal(self, token: str, purchase_id: UUID, sealed: str) -> dict[UUID, str]:
        try:
            raw = base64.urlsafe_b64decode(sealed)
            plain = AESGCM(_key(token, purchase_id)).decrypt(raw[:12], raw[12:], purchase_id.bytes)
        except (InvalidTag, ValueError) as error:
            raise SealBroken("these codes cannot be opened with this token") from error
        return {UUID(voucher): code for voucher, code in json.loads(plain).items()}

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


def _key(token: str, purchase_id: UUID) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=purchase_id.bytes, info=_INFO).derive(token.encode())
