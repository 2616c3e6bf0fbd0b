# SPDX-License-Identifier: Apache-2.0
"""An OpenAPI document that tells clients every error they can get, and in which shape.

Every error is an RFC 9457 problem (``application/problem+json``). Which statuses an
operation can answer follows from what it is, so they are derived here rather than
listed route by route (a new route is documented the moment it exists):

- 422 for every operation with parameters or a body (replacing FastAPI's own 422 schema,
  which is not what is sent);
- 503 (``Retry-After``) for every operation: the database may be away for a moment, or
  too many requests wait for it (and a file upload waits for a slot);
- 400 (not UTF-8 JSON, a broken form), 408 (the body did not arrive in time) and 413 for an
  operation with a body;
- 401 and 403 for an operation that needs a bearer token;
- 404 for an operation with a path parameter;
- 409 for an operation that changes something (a concurrent change, or an existing one);
- what a route declares beyond that with ``openapi_extra=also_answers(…)``: 429
  (``Retry-After``) for one that counts tries, 410 for what is shown once.

A creating operation (201) that takes an ``Idempotency-Key`` also answers 200 to a
repeated request, with what the first one created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

PROBLEM_JSON = "application/problem+json"
_EXTRA_MARK = "x-downtown-problems"


def also_answers(*statuses: int) -> dict[str, Any]:
    """``openapi_extra`` of a route that answers these problems too (429, 410, 503)."""
    unknown = set(statuses) - set(_TITLES)
    if unknown:
        raise ValueError(f"no problem title for {sorted(unknown)}")
    return {_EXTRA_MARK: list(statuses)}


def also_anonymous(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """``openapi_extra`` of a route a guest may call without a bearer token (a signed-in
    caller still sends one): FastAPI appends the empty requirement to the route's bearer."""
    return {**(extra or {}), "security": [{}]}


_CHANGES = {"post", "put", "patch", "delete"}
_TITLES = {
    400: "The body could not be read: not UTF-8 JSON, or a broken multipart form",
    401: "Not authenticated: no token, or a forged, expired or foreign one",
    403: "Not allowed for this caller",
    404: "No such resource (or not the caller's to see)",
    408: "The body did not arrive in time (sent too slowly, or not at all); the connection is closed",
    409: "A concurrent change, or it exists already",
    413: "The body is larger than this operation accepts",
    410: "Gone: it was shown once and is not shown again",
    422: "The request is not valid; `errors` names each field and why",
    429: "Too many tries; try again after `Retry-After` seconds",
    503: "Busy (the database is away for a moment, too many requests wait), or not known here yet; "
    "try again after `Retry-After` seconds",
}


class FieldProblem(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(default="about:blank")
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None
    trace_id: str | None = None


def install_problem_documentation(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that documents each operation's problems."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                license_info=app.license_info,
                routes=app.routes,
            )
            document_problems(document)
            app.openapi_schema = document
        return app.openapi_schema

    setattr(app, "openapi", openapi)  # noqa: B010 - FastAPI's documented way to customise the document


def document_problems(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schemas["Problem"].pop("$defs", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            for status in sorted(_statuses(method, operation)):
                operation.setdefault("responses", {})[str(status)] = _problem_response(status)
            _document_replays(operation)


def _document_replays(operation: dict[str, Any]) -> None:
    responses = operation.get("responses", {})
    keyed = any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    if keyed and "201" in responses and "200" not in responses:
        responses["200"] = {
            **responses["201"],
            "description": "A repeated request (same Idempotency-Key and content): what the first one created",
        }


_RULES: list[tuple[Callable[[str, dict[str, Any]], bool], tuple[int, ...]]] = [
    (lambda method, op: bool(op.get("parameters") or op.get("requestBody")), (422,)),
    (lambda method, op: "requestBody" in op, (400, 408, 413)),
    (lambda method, op: True, (503,)),
    (lambda method, op: bool(op.get("security")), (401, 403)),
    (lambda method, op: any(p.get("in") == "path" for p in op.get("parameters", [])), (404,)),
    (lambda method, op: method in _CHANGES, (409,)),
]


def _statuses(method: str, operation: dict[str, Any]) -> set[int]:
    derived = {status for applies, statuses in _RULES if applies(method, operation) for status in statuses}
    return derived | set(operation.pop(_EXTRA_MARK, []))


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _TITLES[status],
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response
