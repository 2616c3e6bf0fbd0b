# SPDX-License-Identifier: AGPL-3.0-or-later
"""FastAPI dependencies: the container, the caller, the purchase's bearer, a read connection.

The container, handlers and read connection are the kit's (``runtime/http/deps``), typed
here with the vouchers' classes; the rest is the vouchers' own."""

from __future__ import annotations

import hashlib
from typing import Annotated
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from downtown_events.runtime.http.auth import bearer, bearer_token
from downtown_events.runtime.http.clients import client_address
from downtown_events.runtime.http.deps import ReadDb, get_container, get_handlers  # noqa: F401 - ReadDb re-exported
from downtown_events.runtime.http.headers import IdempotencyKey, RequiredIdempotencyKey  # noqa: F401 - re-exported
from downtown_events.runtime.identity import InvalidToken
from downtown_events.runtime.principal import Principal, ensure_current
from downtown_events.runtime.throttle import Limit
from vouchers.bootstrap import ApiContainer, Handlers

Container = Annotated[ApiContainer, Depends(get_container)]
AppHandlers = Annotated[Handlers, Depends(get_handlers)]


async def get_principal(
    container: Container, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """A merchant token (the catalog's, verified with its public key) or the association's;
    a merchant token issued before the merchant's tokens were revoked is refused."""
    principal = container.authenticator.authenticate(bearer_token(credentials))
    if principal.role == "merchant":
        return ensure_current(principal, await container.handlers.merchants.tokens_valid_after(principal.merchant()))
    return principal


Caller = Annotated[Principal, Depends(get_principal)]

purchase_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="PurchaseToken",
    description="The purchase's access token, given once in the answer that started the purchase.",
)


async def get_purchase_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(purchase_bearer)],
) -> str:
    if credentials is None or not credentials.credentials.strip():
        raise InvalidToken("send 'Authorization: Bearer <access token>' (given when the purchase started)")
    token = credentials.credentials.strip()
    if len(token) > 200:
        raise InvalidToken("that is not an access token")
    return token


PurchaseToken = Annotated[str, Depends(get_purchase_token)]


def request_id(key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"downtown:request:{key}")


async def count_code_try(container: ApiContainer, request: Request, code: str) -> None:
    """Every public endpoint that takes a code counts a try against the same budgets, per
    client and per code (as typed, without spacing), so that no endpoint adds to a guesser's."""
    settings = container.settings
    typed = "".join(character for character in code.upper() if character.isalnum())
    await container.throttle.check(
        [
            (Limit("balance:client", settings.balance_tries_per_client, 600), client_address(request, settings)),
            (Limit("balance:code", settings.balance_tries_per_code, 3600), hashlib.sha256(typed.encode()).hexdigest()),
        ]
    )
