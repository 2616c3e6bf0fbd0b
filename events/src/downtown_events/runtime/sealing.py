# SPDX-License-Identifier: Apache-2.0
"""Secrets sealed for whoever holds a key: AES-256-GCM under a key derived for one purpose
and one subject (HKDF-SHA256, the subject's id as salt and as associated data).

Two uses. A service keeps data only its owner's token opens (the vouchers' codes, sealed for
the buyer's access token). And a service hands personal data to another through a public
event without publishing it: ordering seals a delivery's drop-off (who receives it, where)
under the town's delivery hand-off key, which ordering and dispatch share; integrators see
the sealed text, dispatch opens it. The subject binds a sealed text to its aggregate: copied
into another order's event, it does not open.
"""

from __future__ import annotations

import base64
import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12


class SealBroken(ValueError):
    """The sealed text does not open with this key for this subject (a wrong key, another
    subject's text, a text changed in transit)."""


def sealing_key(secret: bytes, subject: UUID, purpose: bytes) -> bytes:
    """The key that seals ``purpose``'s data of ``subject``, derived from ``secret``."""
    if not secret:
        raise SealBroken("no key: this process cannot seal or open this data")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=subject.bytes, info=purpose).derive(secret)


def seal(key: bytes, subject: UUID, plain: bytes) -> str:
    """``plain`` encrypted and authenticated, as URL-safe base64 (nonce first)."""
    nonce = os.urandom(_NONCE_BYTES)
    return base64.urlsafe_b64encode(nonce + AESGCM(key).encrypt(nonce, plain, subject.bytes)).decode()


def unseal(key: bytes, subject: UUID, sealed: str) -> bytes:
    """What :func:`seal` sealed; raises :class:`SealBroken` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        return AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], subject.bytes)
    except (InvalidTag, ValueError, UnicodeEncodeError) as error:
        raise SealBroken("this sealed text does not open with this key") from error
