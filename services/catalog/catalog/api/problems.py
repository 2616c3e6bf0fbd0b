"""Errors as RFC 9457 problem details: a status, a title, and a reason a person can act on.

Nothing is written when any of these is raised: handlers decide before they append, and
an append is all or nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from starlette.exceptions import HTTPException

from catalog.adapters.photos import PhotoBusy, PhotoRejected, PhotoTooLarge
from catalog.adapters.tokens import InvalidToken
from catalog.domain.errors import AlreadyExists, DomainError, InvalidChange, NotAllowed, NotFound
from downtown_events.runtime.store import ConcurrencyConflict

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_DOMAIN_STATUS: list[tuple[type[DomainError], int, str]] = [
    (NotFound, 404, "Not found"),
    (NotAllowed, 403, "Not allowed"),
    (AlreadyExists, 409, "Already exists"),
    (InvalidChange, 422, "Change refused"),
]


async def _domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    for kind, status, title in _DOMAIN_STATUS:
        if isinstance(error, kind):
            return problem(status, title, error.reason)
    return problem(400, "Bad request", error.reason)


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"field": ".".join(str(part) for part in e["loc"] if part != "body"), "reason": e["msg"]}
        for e in error.errors()
    ]
    summary = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return problem(422, "Invalid request", summary, errors=errors)


async def _photo_rejected(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PhotoRejected)
    status = 413 if isinstance(error, PhotoTooLarge) else 422
    return problem(status, "Photo rejected", error.reason, errors=[{"field": "photo", "reason": error.reason}])


async def _photo_busy(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PhotoBusy)
    response = problem(503, "Busy", str(error))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


async def _invalid_token(_: Request, error: Exception) -> JSONResponse:
    return problem(401, "Not authenticated", str(error))


async def _conflict(_: Request, error: Exception) -> JSONResponse:
    return problem(409, "Concurrent change", f"{error}; reload and try again")


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    response = problem(error.status_code, "Request failed", str(error.detail))
    response.headers.update(error.headers or {})  # e.g. a 405's Allow
    return response


async def _unexpected(_: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=error)
    trace_id = format(trace.get_current_span().get_span_context().trace_id, "032x")
    return problem(
        500,
        "Internal error",
        "Something failed on our side; please try again. If it keeps "
        f"failing, tell the platform team this trace id: {trace_id}",
        trace_id=trace_id,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(PhotoRejected, _photo_rejected)
    app.add_exception_handler(PhotoBusy, _photo_busy)
    app.add_exception_handler(InvalidToken, _invalid_token)
    app.add_exception_handler(ConcurrencyConflict, _conflict)
    app.add_exception_handler(HTTPException, _http_error)
