# SPDX-License-Identifier: Apache-2.0
"""Every invalid request is a 422 naming the field and why, however its errors are shaped.

A route that validates a body it read itself (a signed payment callback checks the signature
over the raw bytes first) hands pydantic's own errors on: their ``loc`` is empty for the body
as a whole, and a body that is not JSON answered 500 (an ``IndexError``) before.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from downtown_events.runtime.http.body_limit import BodySizeLimit
from downtown_events.runtime.http.problems import _field_problem, install_problem_handlers


class Callback(BaseModel):
    purchase_id: str
    amount_cents: int


def problem_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/signed")
    async def signed(request: Request) -> dict[str, str]:
        body = await request.body()  # as a signed callback reads it: the signature is over these bytes
        try:
            Callback.model_validate_json(body)
        except ValidationError as error:
            raise RequestValidationError(error.errors()) from None
        return {"status": "ok"}

    @app.post("/typed")
    async def typed(callback: Callback) -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/bare")
    async def bare() -> dict[str, str]:
        raise RequestValidationError([{"type": "missing", "loc": (), "msg": "Field required"}])

    return app


async def post(app: Any, path: str, body: bytes | AsyncIterator[bytes]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(path, content=body, headers={"Content-Type": "application/json"})


async def chunked(*parts: bytes) -> AsyncIterator[bytes]:
    """A body without Content-Length: its size is known only as it arrives."""
    for part in parts:
        yield part


def invalid(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["title"] == "Invalid request" and body["status"] == 422
    assert body["errors"] and all(error["field"] and error["reason"] for error in body["errors"])
    return body


@pytest.mark.parametrize("body", [b"not json", b"", b"{", b'{"purchase_id": "p", ', b"\xff\xfe", b"\x00"])
async def test_a_signed_body_that_is_not_json_is_a_422_about_the_body(body: bytes) -> None:
    answer = invalid(await post(problem_app(), "/signed", body))
    (error,) = answer["errors"]
    assert error["field"] == "body"
    assert error["reason"].startswith("the body is not valid JSON (")
    assert "line 1 column" in error["reason"]  # pydantic says where, in its own words


@pytest.mark.parametrize("body", [b"[1, 2]", b"null", b'"text"', b"42"])
async def test_a_signed_body_that_is_json_but_no_object_is_a_422_about_the_body(body: bytes) -> None:
    """pydantic's error for the body as a whole has an empty ``loc``."""
    (error,) = invalid(await post(problem_app(), "/signed", body))["errors"]
    assert error == {"field": "body", "reason": "Input should be an object"}


async def test_a_signed_body_with_a_bad_field_names_the_field() -> None:
    answer = invalid(await post(problem_app(), "/signed", b'{"purchase_id": "p", "amount_cents": "ten"}'))
    assert [error["field"] for error in answer["errors"]] == ["amount_cents"]


async def test_fastapis_own_decoding_error_says_at_which_character() -> None:
    (error,) = invalid(await post(problem_app(), "/typed", b'{"purchase_id": '))["errors"]
    assert error["field"] == "body"
    assert error["reason"].startswith("the body is not valid JSON (") and "at character 16" in error["reason"]


async def test_an_error_without_a_location_or_a_body_is_a_422_about_the_body() -> None:
    (error,) = invalid(await post(problem_app(), "/bare", b""))["errors"]
    assert error == {"field": "body", "reason": "Field required"}


@pytest.mark.parametrize(
    "error",
    [
        {},
        {"type": "json_invalid"},
        {"type": "json_invalid", "loc": (), "ctx": None},
        {"type": "json_invalid", "loc": ("body",), "ctx": {"error": ""}},
        {"type": "value_error", "loc": None, "msg": None},
        {"loc": ("body", "items", 0, "amount"), "msg": "Value error, too much"},
    ],
)
def test_whatever_an_error_lacks_it_becomes_a_field_and_a_reason(error: dict[str, Any]) -> None:
    described = _field_problem(error)
    assert set(described) == {"field", "reason"}
    assert described["field"] and described["reason"]
    assert "Value error" not in described["reason"]


def test_a_nested_field_is_named_by_its_path() -> None:
    assert _field_problem({"loc": ("body", "items", 0, "amount"), "msg": "Value error, too much"}) == {
        "field": "items.0.amount",
        "reason": "too much",
    }


async def test_a_body_cut_off_by_its_limit_is_a_413_and_no_unexpected_error(caplog: pytest.LogCaptureFixture) -> None:
    """The signed route reads the body itself, so the limit's error reaches the app's handlers."""
    app = BodySizeLimit(problem_app(), default_bytes=100)
    with caplog.at_level(logging.ERROR):
        answer = await post(app, "/signed", chunked(b"x" * 60, b"x" * 60, b"x" * 60))
    assert answer.status_code == 413, answer.text
    assert answer.json()["title"] == "Request too large"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
