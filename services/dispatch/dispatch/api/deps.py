# SPDX-License-Identifier: AGPL-3.0-or-later
"""FastAPI dependencies: the kit's, typed with this service's container, and who is calling.

A courier's token is signed by this service and lasts weeks; the roster decides whether its
courier still rides for the town, on every request, so a courier removed by the association
is refused from the next request on (a moment after, as the roster hears of it), and so is
a token issued before the courier signed out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials

from dispatch.bootstrap import ApiContainer
from dispatch.projections.couriers import RosterCourier
from downtown_events.runtime.http.auth import bearer, bearer_token
from downtown_events.runtime.http.deps import ReadDb, get_container
from downtown_events.runtime.http.headers import IdempotencyKey
from downtown_events.runtime.principal import InvalidToken, Principal, ensure_current

Container = Annotated[ApiContainer, Depends(get_container)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
REMOVED = "this courier no longer rides for the town; ask the association"
SIGNED_OUT = "this courier signed out since this token was issued; sign in again with a new link"


async def _rostered(container: ApiContainer, principal: Principal) -> RosterCourier:
    async with container.pool.connection() as conn:
        courier = await container.roster.courier(conn, principal.courier())
    if courier is None or not courier.active:
        raise InvalidToken(REMOVED)
    ensure_current(principal, courier.tokens_valid_after, reason=SIGNED_OUT)
    return courier


async def get_principal(container: Container, credentials: Credentials) -> Principal:
    """The association's token, a merchant token (the catalog's, refused once the merchant's
    tokens were revoked) or a courier token (this service's, refused once the courier was
    removed or signed out since)."""
    principal = container.authenticator.authenticate(bearer_token(credentials))
    if principal.role == "merchant":
        async with container.pool.connection() as conn:
            revoked = await container.merchants.tokens_valid_after(conn, principal.merchant())
        return ensure_current(principal, revoked)
    if principal.role == "courier":
        await _rostered(container, principal)
    return principal


async def get_current_courier(container: Container, credentials: Credentials) -> RosterCourier:
    """A courier token of a courier who still rides for the town; anyone else is refused
    (401 for a removed courier's token, 403 for another caller's)."""
    principal = container.authenticator.authenticate(bearer_token(credentials))
    return await _rostered(container, principal)


Caller = Annotated[Principal, Depends(get_principal)]
CurrentCourier = Annotated[RosterCourier, Depends(get_current_courier)]
"""The courier calling (``courier_id``, ``courier_service_id``, ``display_name``, ``vehicle``, ``capacity``)."""

__all__ = ["Caller", "Container", "CurrentCourier", "IdempotencyKey", "ReadDb"]
