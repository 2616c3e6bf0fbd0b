# SPDX-License-Identifier: Apache-2.0
"""The bearer token of a request, as every service's routes read it.

A missing token is the service's own 401 problem (with ``WWW-Authenticate: Bearer``), not
FastAPI's 403; what the token means is :class:`~downtown_events.runtime.principal.TownAuthenticator`'s.
"""

from __future__ import annotations

from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from downtown_events.runtime.principal import InvalidToken

bearer = HTTPBearer(
    auto_error=False, description="A merchant token (from registration) or the town association's token."
)


def bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials.strip():
        raise InvalidToken("send 'Authorization: Bearer <token>' (your merchant token or the association's)")
    return credentials.credentials.strip()
