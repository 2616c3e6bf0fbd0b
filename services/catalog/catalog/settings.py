"""The catalog's settings: every service's (town, database, broker, ports) plus its own."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from downtown_events.runtime.secrets import check_secret
from downtown_events.runtime.settings import ServiceSettings

DEVELOPMENT_SECRET = "development-only-secret-change-me-0000000000"
SERVICE = "catalog"


class CatalogSettings(ServiceSettings):
    photo_dir: Path = Path(".downtown/photos")
    max_photo_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    photo_max_pixels_jpeg: int = Field(default=50_000_000, ge=1_000_000, description="JPEG decodes reduced")
    photo_max_pixels_other: int = Field(default=24_000_000, ge=1_000_000, description="PNG, WebP, HEIC decode whole")
    photo_workers: int = Field(default=2, ge=1, description="uploads whose image work runs at once")
    photo_queue: int = Field(default=8, ge=0, description="uploads that may wait for it; more get a 503")
    token_secret: str = DEVELOPMENT_SECRET
    association_token: str = "association-development-token"
    timezone: str = "Europe/Berlin"

    @model_validator(mode="after")
    def _no_known_or_weak_secrets_in_production(self) -> CatalogSettings:
        if self.environment == "production":
            check_secret("DOWNTOWN_TOKEN_SECRET", self.token_secret, min_length=32)
            check_secret("DOWNTOWN_ASSOCIATION_TOKEN", self.association_token, min_length=24)
        return self

    @property
    def town_photo_dir(self) -> Path:
        return self.photo_dir / self.town
