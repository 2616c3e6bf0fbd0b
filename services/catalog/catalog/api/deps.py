# SPDX-License-Identifier: AGPL-3.0-or-later
"""FastAPI dependencies: the container, the caller, a read connection, the idempotency key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from catalog.app.handlers import CatalogHandlers
from catalog.bootstrap import ApiContainer
from downtown_events.runtime.database import Connection
from downtown_events.runtime.http.auth import bearer, bearer_token
from downtown_events.runtime.http.headers import IdempotencyKey  # noqa: F401 - re-exported for the routes
from downtown_events.runtime.principal import Principal


def get_container(request: Request) -> ApiContainer:
    container: ApiContainer = request.app.state.container
    return container


Container = Annotated[ApiContainer, Depends(get_container)]


def get_handlers(container: Container) -> CatalogHandlers:
    return container.handlers


Handlers = Annotated[CatalogHandlers, Depends(get_handlers)]


async def get_principal(
    container: Container, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    principal = container.tokens.authenticate(bearer_token(credentials))
    if principal.issued_at is not None:
        await container.handlers.ensure_token_not_revoked(principal, principal.issued_at)
    return principal


Caller = Annotated[Principal, Depends(get_principal)]


async def get_read_connection(container: Container) -> AsyncIterator[Connection]:
    async with container.pool.connection() as conn:
        yield conn


ReadDb = Annotated[Connection, Depends(get_read_connection)]
