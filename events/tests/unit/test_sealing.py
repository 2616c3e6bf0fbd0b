# SPDX-License-Identifier: Apache-2.0
"""The kit's seal: what it seals opens only with the same key, purpose and subject."""

from __future__ import annotations

import uuid

import pytest

from downtown_events.runtime.sealing import SealBroken, seal, sealing_key, unseal

SECRET = b"a town's hand-off key, long enough"


def test_a_sealed_text_opens_with_its_key_and_subject() -> None:
    subject = uuid.uuid4()
    key = sealing_key(SECRET, subject, b"drop-off v1")
    sealed = seal(key, subject, "Hauptstraße 1, Schöppingen".encode())
    assert "Haupt" not in sealed
    assert unseal(key, subject, sealed) == "Hauptstraße 1, Schöppingen".encode()


def test_another_subject_key_or_purpose_does_not_open_it() -> None:
    subject, other = uuid.uuid4(), uuid.uuid4()
    sealed = seal(sealing_key(SECRET, subject, b"drop-off v1"), subject, b"secret")
    with pytest.raises(SealBroken):
        unseal(sealing_key(SECRET, subject, b"drop-off v1"), other, sealed)
    with pytest.raises(SealBroken):
        unseal(sealing_key(b"another key entirely", subject, b"drop-off v1"), subject, sealed)
    with pytest.raises(SealBroken):
        unseal(sealing_key(SECRET, subject, b"codes v1"), subject, sealed)


@pytest.mark.parametrize("garbage", ["", "not base64 at all!", "AAAA", "ä"])
def test_garbage_is_a_broken_seal_not_a_crash(garbage: str) -> None:
    subject = uuid.uuid4()
    with pytest.raises(SealBroken):
        unseal(sealing_key(SECRET, subject, b"p"), subject, garbage)


def test_without_a_key_nothing_is_sealed() -> None:
    with pytest.raises(SealBroken):
        sealing_key(b"", uuid.uuid4(), b"p")
