"""A request's fingerprint: the same content gives the same print, whatever its shape."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from downtown_events.runtime.idempotency import fingerprint

SHOP = UUID("6f1c1a52-0d2b-4c43-9d43-1b1f0b0f0a01")


@dataclass(frozen=True)
class Choice:
    method: str
    idempotency_key: str | None = None


def test_choices_keyed_by_id_print_alike_in_any_order_and_without_their_key() -> None:
    other = UUID("6f1c1a52-0d2b-4c43-9d43-1b1f0b0f0a02")
    first = fingerprint({SHOP: Choice("pickup", "k1"), other: Choice("delivery")})
    again = fingerprint({other: Choice("delivery"), SHOP: Choice("pickup", "k2")})
    assert first == again
    assert fingerprint({SHOP: Choice("delivery")}) != fingerprint({SHOP: Choice("pickup")})
