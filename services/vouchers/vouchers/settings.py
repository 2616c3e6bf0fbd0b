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

    @model_validator(mode="after")
    def _no_known_or_weak_secrets_in_production(self) -> VouchersSettings:
        if self.environment == "production":
            check_secret("DOWNTOWN_ASSOCIATION_TOKEN", self.association_token, min_length=24)
            check_secret("DOWNTOWN_CODE_HASH_KEY", self.code_hash_key, min_length=32)
            check_secret("DOWNTOWN_PAYMENT_WEBHOOK_SECRET", self.payment_webhook_secret, min_length=32)
        trusted_keys(self.trusted_token_keys)  # a malformed key fails at start
        return self
