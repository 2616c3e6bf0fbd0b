# SPDX-License-Identifier: AGPL-3.0-or-later
"""The vouchers' settings: every service's (town, database, broker, ports, the town's shared
secrets, e-mail) plus its own: the code-hash key, the payment provider's webhook secret, how a
buyer pays (the association's account, the provider's checkout link), limits."""

from __future__ import annotations

import string

from pydantic import Field, field_validator, model_validator

from downtown_events.runtime.identity import trusted_keys
from downtown_events.runtime.secrets import check_secret
from downtown_events.runtime.settings import MailSettings

SERVICE = "vouchers"
DEVELOPMENT_CODE_HASH_KEY = "vouchers-development-code-hash-key"
DEVELOPMENT_WEBHOOK_SECRET = "vouchers-development-webhook-secret"
DEVELOPMENT_DELIVERY_KEY = "vouchers-development-code-delivery-key"
CHECKOUT_FIELDS = frozenset({"purchase_id", "reference", "amount_cents"})
"""What a checkout link's template may name: ``{reference}`` and ``{amount_cents}`` of the purchase."""
RESERVED_PROGRAMME_WORDS = ("Stadtgutschein", "City-Gutschein", "Stadt-Gutschein", "City voucher", "Town voucher")
"""What claims a town's issue in a programme's name, in the words German towns use."""


class VouchersSettings(MailSettings):
    mail_from: str = "gutscheine@downtown.example"
    association_account_holder: str = Field(
        default="", max_length=70, description="whom a buyer's bank transfer goes to (the association's account name)"
    )
    association_iban: str = Field(
        default="", description="the association's IBAN for buyers' transfers; empty: no transfer offered"
    )
    association_bic: str = Field(default="", description="the association's BIC (optional within SEPA)")
    payment_checkout_url: str = Field(
        default="",
        max_length=500,
        description="the payment provider's checkout link for a purchase, with {purchase_id}, {reference} and "
        "{amount_cents} filled in (https://pay.example/checkout?ref={reference}&amount={amount_cents}); empty: none",
    )
    code_delivery_key: str = Field(
        default=DEVELOPMENT_DELIVERY_KEY,
        description="seals a purchase's codes for the e-mail that brings the paid vouchers (API and worker share it)",
    )
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

    @field_validator("association_iban")
    @classmethod
    def _an_iban(cls, iban: str) -> str:
        """Grouped in fours as people read it; checked by its check digits (ISO 13616, mod 97)."""
        compact = "".join(iban.split()).upper()
        if not compact:
            return ""
        if not (15 <= len(compact) <= 34 and compact[:2].isalpha() and compact[2:4].isdigit() and compact.isalnum()):
            raise ValueError("not an IBAN")
        digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
        if int(digits) % 97 != 1:
            raise ValueError("not an IBAN: its check digits do not match")
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))

    @field_validator("association_bic")
    @classmethod
    def _a_bic(cls, bic: str) -> str:
        compact = "".join(bic.split()).upper()
        if compact and not (len(compact) in (8, 11) and compact.isalnum() and compact[4:6].isalpha()):
            raise ValueError("not a BIC (8 or 11 letters and digits)")
        return compact

    @field_validator("payment_checkout_url")
    @classmethod
    def _a_checkout_template(cls, url: str) -> str:
        if not url:
            return url
        if not url.startswith("https://") and not url.startswith("http://"):
            raise ValueError("a checkout link starts with https://")
        names = {name for _, name, _, _ in string.Formatter().parse(url) if name is not None}
        if not names <= CHECKOUT_FIELDS:
            raise ValueError(
                f"a checkout link may name {sorted(CHECKOUT_FIELDS)} only, not {sorted(names - CHECKOUT_FIELDS)}"
            )
        return url

    @model_validator(mode="after")
    def _no_known_or_weak_secrets_in_production(self) -> VouchersSettings:
        if self.environment == "production":
            check_secret("DOWNTOWN_ASSOCIATION_TOKEN", self.association_token, min_length=24)
            check_secret("DOWNTOWN_CODE_HASH_KEY", self.code_hash_key, min_length=32)
            check_secret("DOWNTOWN_PAYMENT_WEBHOOK_SECRET", self.payment_webhook_secret, min_length=32)
            check_secret("DOWNTOWN_CODE_DELIVERY_KEY", self.code_delivery_key, min_length=32)
        trusted_keys(self.trusted_token_keys)  # a malformed key fails at start
        return self
