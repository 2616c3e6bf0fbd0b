# SPDX-License-Identifier: Apache-2.0
"""Production refuses secrets that are known or that a guess would find."""

from __future__ import annotations

import secrets

import pytest

from downtown_events.runtime.secrets import check_secret

FORMERLY_COMMITTED = [
    "development-only-secret-change-me-0000000000",
    "association-development-token",
    "local-demo-secret-schoeppingen-4f9c2e7a1b",
    "association-schoeppingen-local-demo",
    "local-demo-secret-muenster-8d1e6b3c0f",
    "association-muenster-local-demo",
]


@pytest.mark.parametrize("value", FORMERLY_COMMITTED)
def test_every_secret_this_repository_ever_held_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="published development or demo value"):
        check_secret("DOWNTOWN_TOKEN_SECRET", value, min_length=24)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a" * 32, "low entropy"),
        ("abcd" * 8, "low entropy"),
        ("0123456789" * 4, "low entropy"),
        ("my-super-Secret-for-production-2026", "placeholder"),
        ("Xk9#", "at least 32"),
    ],
)
def test_weak_values_are_refused_with_advice(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as refused:
        check_secret("DOWNTOWN_TOKEN_SECRET", value, min_length=32)
    assert "secrets.token_urlsafe" in str(refused.value)


def test_random_values_are_accepted() -> None:
    for _ in range(200):
        check_secret("DOWNTOWN_TOKEN_SECRET", secrets.token_urlsafe(32), min_length=32)
        check_secret("DOWNTOWN_ASSOCIATION_TOKEN", secrets.token_hex(20), min_length=24)
