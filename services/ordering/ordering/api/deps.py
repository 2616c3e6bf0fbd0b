# SPDX-License-Identifier: AGPL-3.0-or-later
"""FastAPI dependencies: the container, the caller (if any), a guest's basket and order tokens.

The container, handlers, read connection and client address are the kit's
(``runtime/http/deps``), typed here with ordering's classes; the rest is ordering's own."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from downtown_events.runtime.http.auth import bearer, bearer_token
from downtown_events.runtime.http.deps import Client, ReadDb, get_container, get_handlers  # noqa: F401 - re-exported
from downtown_events.runtime.http.headers import IdempotencyKey  # noqa: F401 - re-exported
from downtown_events.runtime.principal import Principal, ensure_current
from ordering.bootstrap import ApiContainer, Handlers

_TOKEN = {"min_length": 20, "max_length": 100, "pattern": r"^[A-Za-z0-9_-]+$"}


Container = Annotated[ApiContainer, Depends(get_container)]
AppHandlers = Annotated[Handlers, Depends(get_handlers)]


async def get_principal(
    container: Container, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """A customer token (ordering's own, refused once the customer signed it out), a merchant
    token (the catalog's, refused once the merchant revoked its tokens) or the association's."""
    principal = container.authenticator.authenticate(bearer_token(credentials))
    if principal.role == "merchant":
        return ensure_current(principal, await container.handlers.replica.tokens_valid_after(principal.merchant()))
    if principal.role == "customer":
        return await container.handlers.customers.current(principal)
    return principal


async def get_optional_principal(
    request: Request,
    container: Container,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    """Guests send no Authorization; whoever sends one must send a valid bearer token."""
    if credentials is None and "authorization" not in request.headers:
        return None
    return await get_principal(container, credentials)


Caller = Annotated[Principal, Depends(get_principal)]
MaybeCaller = Annotated[Principal | None, Depends(get_optional_principal)]
BasketToken = Annotated[
    str | None,
    Header(
        alias="Basket-Token", description="a guest's basket access token (given when the basket was opened)", **_TOKEN
    ),
]
OrderTokenHeader = Annotated[
    str | None,
    Header(alias="Order-Token", description="a guest's order token (from checkout, or the e-mailed link)", **_TOKEN),
]
OrderTokenQuery = Annotated[
    str | None, Query(alias="token", description="the same token, as the e-mailed link carries it", **_TOKEN)
]


async def get_order_token(header: OrderTokenHeader = None, query: OrderTokenQuery = None) -> str | None:
    return header or query


OrderToken = Annotated[str | None, Depends(get_order_token)]
