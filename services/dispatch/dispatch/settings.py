# SPDX-License-Identifier: AGPL-3.0-or-later
"""The dispatch service's settings: every service's (town, database, broker, ports) and e-mail (a
courier's sign-in link) plus its own."""

from __future__ import annotations

from pydantic import Field, model_validator

from downtown_events.runtime.identity import new_signing_key, public_key_of
from downtown_events.runtime.secrets import check_secret
from downtown_events.runtime.settings import DeliveryHandoffSettings, MailSettings

SERVICE = "dispatch"


class DispatchSettings(MailSettings, DeliveryHandoffSettings):
    """Add the service's own settings here; each is read from ``DOWNTOWN_<NAME>``."""

    token_signing_key: str = Field(
        default="", description="Ed25519 private key (base64url) for courier tokens; empty in development: a new one"
    )
    token_key_id: str = "dispatch-1"
    courier_token_days: int = Field(default=30, ge=1, le=365, description="how long a courier's token lasts")
    mail_from: str = "kurier@downtown.example"  # the kit's MailSettings: the SMTP server, the resend pause
    sign_in_link_minutes: int = Field(default=15, ge=1, le=60, description="how long a courier's sign-in link works")
    web_url: str = Field(
        default="http://127.0.0.1:8000", description="the town's web front, whose courier page a sign-in link opens"
    )

    replan_seconds: float = Field(
        default=30, gt=0, le=3600, description="how often the worker plans today's tours again when something changed"
    )

    max_proof_photo_bytes: int = Field(
        default=10 * 1024 * 1024, ge=64 * 1024, description="a proof-of-delivery photo's upload, at most"
    )
    proof_photo_workers: int = Field(default=2, ge=1, description="proof photos whose image work runs at once")
    proof_photo_queue: int = Field(default=8, ge=0, description="proof photos that may wait for it; more get a 503")

    @model_validator(mode="after")
    def _courier_token_key(self) -> DispatchSettings:
        if self.environment == "production":
            check_secret("DOWNTOWN_TOKEN_SIGNING_KEY", self.token_signing_key, min_length=43)
        elif not self.token_signing_key:  # development: courier tokens last as long as the process
            self.token_signing_key = new_signing_key()
        public_key_of(self.token_signing_key)
        return self
