# SPDX-License-Identifier: Apache-2.0
"""A database that is away answers 503 with Retry-After, and a read is tried once more."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from downtown_events.runtime.http.unavailable import DatabaseUnavailable


def app_failing(times: int, error: Exception) -> tuple[FastAPI, list[str]]:
    calls: list[str] = []
    app = FastAPI()

    async def endpoint() -> dict[str, str]:
        calls.append("called")
        if len(calls) <= times:
            raise error
        return {"ok": "yes"}

    app.add_api_route("/thing", endpoint, methods=["GET", "POST"])
    app.add_middleware(DatabaseUnavailable)
    return app, calls


async def call(app: FastAPI, method: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, "/thing")


async def test_a_read_that_met_a_dead_connection_is_tried_once_more() -> None:
    app, calls = app_failing(1, psycopg.OperationalError("server closed the connection unexpectedly"))
    response = await call(app, "GET")
    assert (response.status_code, len(calls)) == (200, 2)


async def test_a_read_failing_twice_is_busy_with_retry_after() -> None:
    app, calls = app_failing(2, psycopg.OperationalError("connection refused"))
    response = await call(app, "GET")
    assert (response.status_code, len(calls)) == (503, 2)
    assert response.headers["retry-after"] == "2"
    assert response.headers["content-type"] == "application/problem+json"
    assert "try again" in response.json()["detail"]


async def test_a_write_is_not_repeated_here_but_answered_busy() -> None:
    app, calls = app_failing(1, psycopg.OperationalError("terminating connection due to administrator command"))
    response = await call(app, "POST")
    assert (response.status_code, len(calls)) == (503, 1)


async def test_an_error_of_the_request_or_a_bug_is_not_hidden_as_busy() -> None:
    app, calls = app_failing(1, psycopg.errors.UniqueViolation("duplicate key"))
    with pytest.raises(psycopg.errors.UniqueViolation):
        await call(app, "GET")
    assert len(calls) == 1
