# SPDX-License-Identifier: Apache-2.0
"""The dependencies every service's routes take: the container the app was opened with, its
handlers, a pooled read connection given back after the answer, and the client's address as
the trusted proxies report it. None adds a parameter to the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI

from downtown_events.runtime.http.deps import Client, ReadDb, get_container, get_handlers


@dataclass
class FakePool:
    lent: int = 0
    returned: int = 0

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[str]:
        self.lent += 1
        try:
            yield f"connection {self.lent}"
        finally:
            self.returned += 1


@dataclass(frozen=True)
class Settings:
    trusted_proxy_hops: int = 1


@dataclass(frozen=True)
class Handlers:
    name: str = "the service's use cases"


@dataclass(frozen=True)
class ApiContainer:
    settings: Settings = field(default_factory=Settings)
    pool: FakePool = field(default_factory=FakePool)
    handlers: Handlers = field(default_factory=Handlers)


Container = Annotated[ApiContainer, Depends(get_container)]
AppHandlers = Annotated[Handlers, Depends(get_handlers)]


def service_app(container: ApiContainer) -> FastAPI:
    app = FastAPI()
    app.state.container = container

    @app.get("/everything")
    async def everything(container: Container, handlers: AppHandlers, db: ReadDb, client: Client) -> dict[str, Any]:
        return {
            "same": container is app.state.container and handlers is container.handlers,
            "db": db,
            "lent": container.pool.lent,
            "client": client,
        }

    return app


async def get(app: FastAPI, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=("192.0.2.1", 4711))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/everything", headers=headers)


async def test_a_route_gets_the_container_its_handlers_a_connection_and_the_client() -> None:
    container = ApiContainer()
    answer = await get(service_app(container), {"X-Forwarded-For": "198.51.100.9, 203.0.113.7"})
    assert answer.json() == {"same": True, "db": "connection 1", "lent": 1, "client": "203.0.113.7"}
    assert (container.pool.lent, container.pool.returned) == (1, 1)


async def test_without_a_trusted_proxy_the_client_is_the_peer() -> None:
    answer = await get(
        service_app(ApiContainer(settings=Settings(trusted_proxy_hops=0))), {"X-Forwarded-For": "1.2.3.4"}
    )
    assert answer.json()["client"] == "192.0.2.1"


def test_they_add_nothing_to_the_openapi_document() -> None:
    operation = service_app(ApiContainer()).openapi()["paths"]["/everything"]["get"]
    assert "parameters" not in operation and "requestBody" not in operation
