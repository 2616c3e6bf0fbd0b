# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the web front of one town reads from ``DOWNTOWN_*``: where the town's four services
answer, how the town looks, where the front itself listens.

The front keeps no state of its own (no database, no topic): every page is drawn from the
services' public HTTP APIs, so a town runs as many copies of it as it likes.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, HttpUrl, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from downtown_events.topics import check_town

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOWNTOWN_", extra="ignore")

    town: str
    town_name: str = Field(default="", description="the town's name as people write it; default: the town id")
    timezone: str = "Europe/Berlin"
    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    http_port: int = 8000
    http_keep_alive_seconds: int = 75
    catalog_url: HttpUrl = HttpUrl("http://127.0.0.1:8001")
    ordering_url: HttpUrl = HttpUrl("http://127.0.0.1:8003")
    vouchers_url: HttpUrl = HttpUrl("http://127.0.0.1:8002")
    dispatch_url: HttpUrl = HttpUrl("http://127.0.0.1:8004")
    public_url: HttpUrl = Field(
        default=HttpUrl("http://127.0.0.1:8000"),
        description="where people reach this front: https in production, which makes its cookies Secure",
    )
    brand_colour: str = Field(default="#1d5c4d", description="the town's colour (#rrggbb), dark enough for white text")
    logo_url: str = Field(default="", description="the town's logo (a path this front serves, or empty)")
    service_timeout_seconds: float = Field(default=10.0, gt=0, description="a page's wait for one service's answer")

    @field_validator("town")
    @classmethod
    def _town_is_a_slug(cls, town: str) -> str:
        return check_town(town)

    @field_validator("brand_colour")
    @classmethod
    def _a_colour(cls, colour: str) -> str:
        if not _COLOUR.match(colour):
            raise ValueError("a colour as #rrggbb")
        return colour

    @property
    def display_name(self) -> str:
        return self.town_name or self.town

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.scheme == "https"
