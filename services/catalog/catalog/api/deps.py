# SPDX-License-Identifier: AGPL-3.0-or-later
"""FastAPI dependencies: the container, the caller, a read connection, the idempotency key,
the town's clock.

The container, handlers and read connection are the kit's (``runtime/http/deps``), typed
here with the catalog's classes; the caller is the catalog's own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials

from catalog.app.handlers import CatalogHandlers
from catalog.bootstrap import ApiContainer
from downtown_events.runtime.clock_file import clock_of
from downtown_events.runtime.http.auth import bearer, bearer_token
from downtown_events.runtime.http.deps import ReadDb, get_container, get_handlers  # noqa: F401 - ReadDb re-exported
from downtown_events.runtime.http.headers import IdempotencyKey  # noqa: F401 - re-exported for the routes
from downtown_events.runtime.principal import Principal

Container = Annotated[ApiContainer, Depends(get_container)]
Handlers = Annotated[CatalogHandlers, Depends(get_handlers)]


async def get_principal(
    container: Container, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    principal = container.tokens.authenticate(bearer_token(credentials))
    if principal.issued_at is not None:
        await container.handlers.ensure_token_not_revoked(principal, principal.issued_at)
    return principal


Caller = Annotated[Principal, Depends(get_principal)]


def local_now(container: ApiContainer) -> datetime:
    """Now on the town's clock in its zone (the kit's: a test town's clock file moves it);
    "today" for the directory and for a merchant's note is this date."""
    return clock_of(container.settings)().astimezone(ZoneInfo(container.settings.timezone))
