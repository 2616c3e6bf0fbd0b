# SPDX-License-Identifier: AGPL-3.0-or-later
"""How often a caller may try what costs the town something: a sign-in link (a mail), a
guest's checkout (stock held until the merchant answers).

Counted by the kit's throttle per client (``client_address``: what the trusted proxy saw)
and per e-mail address. An address counts as its mailbox (the kit's ``canonical_email``):
``Anna+1@example.de``, ``a.n.n.a@example.de`` and ``аnna@example.de`` (a Cyrillic а) are one
bucket, so respelling an address buys no more tries. The bucket is the hash of that form,
so the throttle's table holds no address.
"""

from __future__ import annotations

from downtown_events.runtime.http.sign_in import HOUR, SignInLimits, address_key
from downtown_events.runtime.throttle import Limit, Throttle, Throttled
from ordering.settings import OrderingSettings

SIGN_IN = SignInLimits.named()
"""A customer's sign-in links and sessions (the kit's limits; the buckets keep their old names)."""


async def check_guest_checkout(throttle: Throttle, settings: OrderingSettings, client: str, email: str | None) -> None:
    """A guest's checkout holds stock until the merchant answers (or the answer time runs
    out): counted per client and per address, so nobody holds an offer's stock again and
    again. Every try counts, whatever the checkout then decides: the count comes first, so
    a refused try is never free to repeat."""
    checks = [(Limit("checkout:client", settings.guest_checkouts_per_client_hour, HOUR), client)]
    if email:
        checks.append((Limit("checkout:address", settings.guest_checkouts_per_address_hour, HOUR), address_key(email)))
    try:
        await throttle.check(checks)
    except Throttled as throttled:
        wait = throttled.retry_after
        raise Throttled(
            f"too many orders as a guest from this connection or for this e-mail address; try again in {wait} s, "
            "or sign in",
            wait,
        ) from None
