# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's settings: every service's (town, database, broker, ports) and e-mail (a
merchant's sign-in link) plus its own."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from downtown_events.runtime.identity import new_signing_key, public_key_of, trusted_keys
from downtown_events.runtime.secrets import check_secret
from downtown_events.runtime.settings import MailSettings

SERVICE = "catalog"


class CatalogSettings(MailSettings):
    photo_dir: Path = Path(".downtown/photos")
    max_photo_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    photo_max_pixels_jpeg: int = Field(default=50_000_000, ge=1_000_000, description="JPEG decodes reduced")
    photo_max_pixels_other: int = Field(default=24_000_000, ge=1_000_000, description="PNG, WebP, HEIC decode whole")
    photo_workers: int = Field(default=2, ge=1, description="uploads whose image work runs at once")
    photo_queue: int = Field(default=8, ge=0, description="uploads that may wait for it; more get a 503")
    token_signing_key: str = Field(
        default="", description="Ed25519 private key (base64url) for merchant tokens; empty in development: a new one"
    )
    token_key_id: str = "catalog-1"
    merchant_token_days: int = Field(default=30, ge=1, le=365)
    mail_from: str = "haendler@downtown.example"  # the kit's MailSettings: the SMTP server, the resend pause
    sign_in_link_minutes: int = Field(default=15, ge=1, le=60, description="how long a merchant's sign-in link works")
    public_url: str = Field(default="http://127.0.0.1:8000", description="where merchants reach this API")
    web_url: str = Field(
        default="", description="the town's web front, whose page a sign-in link opens; empty: this API (public_url)"
    )

    @model_validator(mode="after")
    def _no_known_or_weak_secrets_in_production(self) -> CatalogSettings:
        if self.environment == "production":
            check_secret("DOWNTOWN_TOKEN_SIGNING_KEY", self.token_signing_key, min_length=43)
            check_secret("DOWNTOWN_ASSOCIATION_TOKEN", self.association_token, min_length=24)
        elif not self.token_signing_key:  # development: tokens last as long as the process
            self.token_signing_key = new_signing_key()
        public_key_of(self.token_signing_key)  # a malformed key fails at start
        trusted_keys(self.trusted_token_keys)
        return self

    @property
    def sign_in_url(self) -> str:
        """Where a merchant's sign-in link leads: the web front's page, or this API's host."""
        return self.web_url or self.public_url

    @property
    def town_photo_dir(self) -> Path:
        return self.photo_dir / self.town
