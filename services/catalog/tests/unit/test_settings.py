# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's settings refuse known and weak secrets in production, and only there."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from catalog.settings import CatalogSettings
from downtown_events.runtime.identity import new_signing_key

BASE = {"town": "schoeppingen", "database_url": "postgresql://localhost/x"}


def test_development_runs_with_the_development_defaults() -> None:
    CatalogSettings(**BASE)  # type: ignore[arg-type]


def test_production_refuses_to_run_without_a_signing_key() -> None:
    with pytest.raises(ValidationError, match="DOWNTOWN_TOKEN_SIGNING_KEY must have at least"):
        CatalogSettings(**BASE, environment="production")  # type: ignore[arg-type]


def test_production_refuses_the_development_association_token() -> None:
    with pytest.raises(ValidationError, match="DOWNTOWN_ASSOCIATION_TOKEN is a published"):
        CatalogSettings(**BASE, environment="production", token_signing_key=new_signing_key())  # type: ignore[arg-type]


def test_production_refuses_a_formerly_committed_demo_token() -> None:
    with pytest.raises(ValidationError, match="DOWNTOWN_ASSOCIATION_TOKEN is a published"):
        CatalogSettings(
            **BASE,  # type: ignore[arg-type]
            environment="production",
            token_signing_key=new_signing_key(),
            association_token="association-schoeppingen-local-demo",
        )


def test_production_accepts_random_secrets() -> None:
    settings = CatalogSettings(
        **BASE,  # type: ignore[arg-type]
        environment="production",
        token_signing_key=new_signing_key(),
        association_token=secrets.token_urlsafe(24),
    )
    assert settings.environment == "production"
