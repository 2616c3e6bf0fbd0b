# SPDX-License-Identifier: AGPL-3.0-or-later
"""The payment provider's callback: signed with HMAC-SHA256, fresh, and taken once.

The provider signs ``<timestamp>.<body>`` with the shared secret and sends
``Downtown-Signature: t=<unix seconds>,v1=<hex>`` (the scheme Stripe and others use). A
callback is refused when the signature is missing or wrong, when its timestamp is older
than the tolerance (a recorded callback replayed later), or when the same signed
callback comes again (a replay within the tolerance). A provider retrying a callback
signs it anew, with a new timestamp, so a real retry is never refused as a replay; the
payment itself is idempotent by its reference.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
from datetime import datetime

from downtown_events.runtime.database import Pool

SIGNATURE_HEADER = "Downtown-Signature"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() takes "١٢٣" and "²"
_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


class InvalidSignature(Exception):
    """Missing, malformed, wrong or stale signature (HTTP 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplayedCallback(Exception):
    """This very signed callback was taken before (HTTP 409)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value a provider sends (also what tests and the demo seed use)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class PaymentWebhook:
    def __init__(self, pool: Pool, secret: str, *, tolerance_seconds: int) -> None:
        self._pool = pool
        self._secret = secret
        self._tolerance = tolerance_seconds

    def verify(self, header: str | None, body: bytes, now: datetime) -> str:
        """The signature, if the header signs ``body`` with our secret recently enough."""
        if not header:
            raise InvalidSignature(f"send the provider's {SIGNATURE_HEADER} header")
        parts = dict(part.strip().split("=", 1) for part in header.split(",") if "=" in part)
        if not _TIMESTAMP.fullmatch(parts.get("t", "")) or not _DIGEST.fullmatch(parts.get("v1", "")):
            raise InvalidSignature(f"{SIGNATURE_HEADER} must be 't=<unix seconds>,v1=<64 hex digits>'")
        timestamp = int(parts["t"])
        expected = sign(self._secret, timestamp, body).split("v1=", 1)[1]
        # Bytes, not text: compare_digest refuses non-ASCII text with a TypeError (a 500).
        if not hmac.compare_digest(expected.encode(), parts["v1"].lower().encode()):
            raise InvalidSignature("the signature does not match this body")
        if now.timestamp() - timestamp > self._tolerance:
            raise InvalidSignature(f"the signature is older than {self._tolerance} s; the provider must sign anew")
        if timestamp - now.timestamp() > self._tolerance:
            raise InvalidSignature(f"the signature is dated more than {self._tolerance} s ahead of this server's clock")
        return parts["v1"].lower()

    async def take_once(self, signature: str) -> None:
        """Record the callback as taken; a second delivery of it is :class:`ReplayedCallback`."""
        async with self._pool.connection() as conn:
            row = await (
                await conn.execute(
                    "INSERT INTO webhook_deliveries (signature) VALUES (%s) ON CONFLICT DO NOTHING RETURNING signature",
                    (signature,),
                )
            ).fetchone()
            if random.random() < 0.01:
                await conn.execute("DELETE FROM webhook_deliveries WHERE received_at < now() - interval '1 day'")
        if row is None:
            raise ReplayedCallback("this callback was delivered before; nothing was changed")
