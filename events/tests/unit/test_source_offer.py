# SPDX-License-Identifier: Apache-2.0
"""Every service's API says where the source of what it runs is, and under which licence: the
offer the AGPL's section 13 asks of an instance that people use over the network."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from downtown_events.runtime.http.app import create_service_app
from downtown_events.runtime.settings import ServiceSettings


async def _never_opened() -> object:
    raise AssertionError("GET /source and the OpenAPI document need no container")


def _app(**settings: str) -> FastAPI:
    return create_service_app(
        title="Downtown probe",
        description="A service.",
        settings=ServiceSettings(town="probe", database_url="postgresql://nowhere/probe", **settings),  # type: ignore[arg-type]
        open_container=_never_opened,  # type: ignore[arg-type]
        routers=[],
    )


async def _get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as client:
        return await client.get(path)


async def test_get_source_names_the_licence_and_where_the_source_is() -> None:
    response = await _get(_app(source_url="https://git.example.org/stadtmarketing/downtown"), "/source")

    assert response.status_code == 200
    assert response.json() == {
        "licence": "AGPL-3.0-or-later",
        "source": "https://git.example.org/stadtmarketing/downtown",
        "version": "0.1.0",
    }


async def test_the_openapi_document_carries_the_licence_and_the_source() -> None:
    document = (await _get(_app(source_url="https://git.example.org/downtown"), "/openapi.json")).json()

    assert document["info"]["license"] == {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}
    assert "https://git.example.org/downtown" in document["info"]["description"]
