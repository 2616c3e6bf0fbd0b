# SPDX-License-Identifier: Apache-2.0
"""Errors as RFC 9457 problem details: a status, a title, and a reason a person can act on.

The kit maps what every service meets (invalid requests, unknown routes and methods, a
missing or bad token, a caller without permission, a reused idempotency key, a concurrent
change, the unexpected); :data:`DOMAIN_PROBLEMS` answers the refusals every service's
domain shares (:mod:`downtown_events.refusals`), and a service passes those and
:class:`ProblemRule` s for its own errors (its domain's other refusals, a rejected upload,
a bad token). The detail is the exception's ``reason`` attribute if it has one, else its
message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from starlette.exceptions import HTTPException

from downtown_events.refusals import AlreadyExists, DomainError, InvalidChange, NotAllowed, NotFound, NotYetKnown
from downtown_events.runtime.http.body_limit import BodyTooLarge, BodyTooSlow
from downtown_events.runtime.idempotency import IdempotencyKeyReused, RequestInFlight
from downtown_events.runtime.principal import InvalidToken, NotPermitted
from downtown_events.runtime.store import ConcurrencyConflict
from downtown_events.runtime.throttle import Throttled

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


@dataclass(frozen=True)
class ProblemRule:
    """Answer ``error`` (and its subclasses) with ``status`` and ``title``.

    ``headers`` adds response headers from the error (``Retry-After``); ``field`` names the
    request field a 4xx is about, for clients that show it next to the input; ``extensions``
    adds members a client acts on (RFC 9457 extension members: the prices that changed).
    """

    error: type[Exception]
    status: int
    title: str
    headers: Callable[[Any], dict[str, str]] = field(default=lambda _: {})
    extensions: Callable[[Any], dict[str, Any]] = field(default=lambda _: {})
    field: str | None = None  # declared last: from here on ``field`` is this attribute, not dataclasses'

    def answer(self, error: Exception) -> JSONResponse:
        detail = str(getattr(error, "reason", None) or error)
        extra = {"errors": [{"field": self.field, "reason": detail}]} if self.field else {}
        extra.update(self.extensions(error))
        response = problem(self.status, self.title, detail, **extra)
        response.headers.update(self.headers(error))
        return response


KIT_PROBLEMS = (
    ProblemRule(InvalidToken, 401, "Not authenticated"),
    ProblemRule(NotPermitted, 403, "Not allowed"),
    ProblemRule(IdempotencyKeyReused, 422, "Idempotency-Key reused"),
    ProblemRule(
        RequestInFlight, 409, "Still in progress", headers=lambda error: {"Retry-After": str(error.retry_after)}
    ),
    ProblemRule(Throttled, 429, "Too many tries", headers=lambda error: {"Retry-After": str(error.retry_after)}),
    # A route reading its body itself (a signed callback) meets these; ``body_limit`` answers
    # the client in its own words, so these only keep them from being logged as failures.
    ProblemRule(BodyTooLarge, 413, "Request too large"),
    ProblemRule(BodyTooSlow, 408, "Request too slow"),
)

DOMAIN_PROBLEMS = (
    ProblemRule(DomainError, 400, "Bad request"),
    ProblemRule(NotFound, 404, "Not found"),
    ProblemRule(NotAllowed, 403, "Not allowed"),
    ProblemRule(AlreadyExists, 409, "Already exists"),
    ProblemRule(InvalidChange, 422, "Refused"),
    ProblemRule(NotYetKnown, 503, "Not known yet", headers=lambda _: {"Retry-After": "2"}),
)
"""The shared refusals (:mod:`downtown_events.refusals`) as problems. A service passes them
first and its own rules after: the handler of the raised class's nearest ancestor answers
(``OutOfStock`` is an ``InvalidChange`` with a rule of its own), and a later rule for the
same class replaces an earlier one."""


def install_problem_handlers(app: FastAPI, rules: Sequence[ProblemRule] = ()) -> None:
    """The kit's handlers, then the service's; the most specific exception class wins."""
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ConcurrencyConflict, _conflict)
    for rule in (*KIT_PROBLEMS, *rules):
        app.add_exception_handler(rule.error, _handler(rule))


def _handler(rule: ProblemRule) -> Callable[[Request, Exception], Any]:
    async def handle(_: Request, error: Exception) -> JSONResponse:
        return rule.answer(error)

    return handle


def _field_problem(error: dict[str, Any]) -> dict[str, str]:
    """One entry of a 422's ``errors``: the field (``body`` for the body as a whole) and why.

    Errors come from FastAPI (``loc`` starts with where the value was: ``body``, ``query``…)
    and from a route validating a body it read itself (a signed callback: pydantic's own
    errors, whose ``loc`` is empty for the body as a whole). Either may lack a part, so none
    is taken for granted: an error this cannot read still answers 422, never 500.
    """
    loc = error.get("loc") or ()
    if error.get("type") == "json_invalid":
        return {"field": "body", "reason": _not_json(error, loc)}
    field = ".".join(str(part) for part in loc if part != "body") or "body"
    reason = str(error.get("msg") or "this value is not what this request takes").removeprefix("Value error, ")
    return {"field": field, "reason": reason}


def _not_json(error: dict[str, Any], loc: Sequence[Any]) -> str:
    """FastAPI's ``loc`` ends with the character where decoding failed; pydantic says where
    (line and column) in its own words, and its ``loc`` is empty."""
    ctx = error.get("ctx")
    reason = str(ctx.get("error") or "") if isinstance(ctx, dict) else ""
    where = loc[-1] if loc else None
    if isinstance(where, int):
        reason = f"{reason or 'unreadable'} at character {where}"
    return f"the body is not valid JSON ({reason or 'unreadable'})"


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [_field_problem(e) for e in error.errors()]
    summary = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return problem(422, "Invalid request", summary, errors=errors)


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
