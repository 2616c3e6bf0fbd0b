# SPDX-License-Identifier: AGPL-3.0-or-later
"""The vouchers' settings: every service's (town, database, broker, ports, the town's shared
secrets) plus its own: the code-hash key, the payment provider's webhook secret, limits."""

from __future__ import annotations

from pydantic import Field, model_validator

from downtown_events.runtime.identity import trusted_keys
from downtown_events.runtime.secrets import check_secret
from downtown_events.runtime.settings import ServiceSettings

SERVICE = "vouchers"
DEVELOPMENT_CODE_HASH_KEY = "vouchers-development-code-hash-key"
DEVELOPMENT_WEBHOOK_SECRET = "vouchers-development-webhook-secret"
RESERVED_PROGRAMME_WORDS = ("Stadtgutschein", "City-Gutschein", "Stadt-Gutschein", "City voucher", "Town voucher")
"""What claims a town's issue in a programme's name, in the words German towns use."""


class VouchersSettings(ServiceSettings):
    code_hash_key: str = Field(
        default=DEVELOPMENT_CODE_HASH_KEY,
        description="keys the hash by which a code is stored and found; a new operator needs the same one",
    )
    payment_webhook_secret: str = Field(
        default=DEVELOPMENT_WEBHOOK_SECRET, description="HMAC secret the payment provider signs callbacks with"
    )
    webhook_tolerance_seconds: int = Field(default=300, ge=30, le=3600, description="how old a signed callback may be")
    unpaid_purchase_hours: int = Field(default=72, ge=1, le=24 * 30)
    max_vouchers_per_purchase: int = Field(default=20, ge=1, le=500)
    max_bulk_issue: int = Field(default=500, ge=1, le=5000)
    balance_tries_per_client: int = Field(default=20, ge=1, description="balance look-ups per client per 10 minutes")
    balance_tries_per_code: int = Field(default=10, ge=1, description="look-ups of one code per hour")
    redemption_tries_per_merchant: int = Field(default=120, ge=1, description="redemption attempts per minute")
    voucher_authorization_minutes: int = Field(
        default=60, ge=1, le=24 * 60, description="how long orders may draw on a voucher payment authorisation"
    )
    expiry_job_seconds: float = Field(default=3600.0, gt=0, description="how often vouchers and purchases expire")
    purchase_starts_per_client: int = Field(
        default=30, ge=1, description="online purchases one client (address, IPv6 /64) may start per 10 minutes"
    )
    max_open_unpaid_per_buyer: int = Field(
        default=5, ge=1, le=100, description="online purchases one buyer (e-mail mailbox) may have waiting for payment"
    )
    max_programmes_per_merchant: int = Field(
        default=10, ge=1, le=1000, description="programmes one merchant may have selling at once"
    )
    reserved_programme_words: list[str] = Field(
        default_factory=lambda: list(RESERVED_PROGRAMME_WORDS),
        description="words a merchant programme's name may not hold (besides the town programmes' names): "
        "they claim the town's issue; compared without case, spaces or punctuation",
    )
    pdf_renders_at_once: int = Field(
        default=2, ge=1, le=64, description="voucher and statement PDFs drawn at the same time by one API process"
    )
    pdf_render_wait_seconds: float = Field(
        default=10.0, ge=0, le=120, description="how long a PDF request waits for a free renderer before a 503"
    )

    @model_validator(mode="after")
    def _no_known_or_weak_secrets_in_production(self) -> VouchersSettings:
        if self.environment == "production":
            check_secret("DOWNTOWN_ASSOCIATION_TOKEN", self.association_token, min_length=24)
            check_secret("DOWNTOWN_CODE_HASH_KEY", self.code_hash_key, min_length=32)
            check_secret("DOWNTOWN_PAYMENT_WEBHOOK_SECRET", self.payment_webhook_secret, min_length=32)
        trusted_keys(self.trusted_token_keys)  # a malformed key fails at start
        return self
