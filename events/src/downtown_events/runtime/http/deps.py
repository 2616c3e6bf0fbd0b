# SPDX-License-Identifier: Apache-2.0
"""The FastAPI dependencies every service's routes take, written once.

A service's ``api/deps.py`` types the first two with its own classes and keeps only what is
its own (who the caller is, its tokens and headers)::

    Container = Annotated[ApiContainer, Depends(get_container)]
    Handlers = Annotated[CatalogHandlers, Depends(get_handlers)]

:data:`ReadDb` and :data:`Client` it re-exports as they are. None of these reads a request
parameter, so the OpenAPI document is the same whichever module they are written in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request

from downtown_events.runtime.database import Connection, Pool
from downtown_events.runtime.http.clients import ProxySettings, client_address


class ApiResources(Protocol):
    """What these dependencies read of a service's ``bootstrap.ApiContainer``, which
    ``create_service_app`` puts on ``app.state.container`` when the process starts."""

    @property
    def settings(self) -> ProxySettings: ...

    @property
    def pool(self) -> Pool: ...

    @property
    def handlers(self) -> object: ...


async def get_container(request: Request) -> Any:
    """The process's composition root; ``Any``, because each service types it as its own
    ``ApiContainer`` (an ``Annotated`` alias over this function).

    Every dependency here is ``async def`` though none awaits: FastAPI runs a plain ``def``
    dependency in its thread pool, a hop per dependency per request that cost a database
    route a tenth of its throughput under ``wrk`` (bench ``search``)."""
    return request.app.state.container


Resources = Annotated[ApiResources, Depends(get_container)]


async def get_handlers(container: Resources) -> Any:
    """The service's use cases, typed by the service's ``Annotated`` alias like the container."""
    return container.handlers


async def get_read_connection(container: Resources) -> AsyncIterator[Connection]:
    """A pooled connection for the request's queries, given back when the answer is sent."""
    async with container.pool.connection() as conn:
        yield conn


ReadDb = Annotated[Connection, Depends(get_read_connection)]


async def get_client(request: Request, container: Resources) -> str:
    """Who is trying, for throttling (:func:`~downtown_events.runtime.http.clients.client_address`)."""
    return client_address(request, container.settings)


Client = Annotated[str, Depends(get_client)]
