# SPDX-License-Identifier: Apache-2.0
"""The shared refusals answer alike in every service, and a service's own subclass rule wins
over its base's, in whichever order the rules are listed."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from downtown_events.refusals import (
    AlreadyExists,
    DomainError,
    InvalidChange,
    NotAllowed,
    NotFound,
    NotYetKnown,
)
from downtown_events.runtime.http.problems import DOMAIN_PROBLEMS, ProblemRule, install_problem_handlers


class OutOfStock(InvalidChange):
    """A service's own refusal with its own rule."""


class TooLate(InvalidChange):
    """A service's own refusal without one: answered as its base is."""


RAISED: dict[str, DomainError] = {
    "domain": DomainError("no"),
    "not-found": NotFound("no such offer"),
    "not-allowed": NotAllowed("not yours"),
    "exists": AlreadyExists("registered before"),
    "invalid": InvalidChange("withdrawn"),
    "unknown": NotYetKnown("not heard of yet"),
    "stock": OutOfStock("2 left"),
    "late": TooLate("the window closed"),
}


def problem_app(*rules: ProblemRule) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app, rules)

    @app.get("/{name}")
    async def refuse(name: str) -> None:
        raise RAISED[name]

    return app


async def get(app: FastAPI, name: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(f"/{name}")


@pytest.mark.parametrize(
    ("name", "status", "title"),
    [
        ("domain", 400, "Bad request"),
        ("not-found", 404, "Not found"),
        ("not-allowed", 403, "Not allowed"),
        ("exists", 409, "Already exists"),
        ("invalid", 422, "Refused"),
        ("late", 422, "Refused"),
        ("unknown", 503, "Not known yet"),
    ],
)
async def test_each_shared_refusal_has_one_status(name: str, status: int, title: str) -> None:
    answer = await get(problem_app(*DOMAIN_PROBLEMS), name)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {"type": "about:blank", "title": title, "status": status, "detail": RAISED[name].reason}


async def test_not_yet_known_says_when_to_ask_again() -> None:
    answer = await get(problem_app(*DOMAIN_PROBLEMS), "unknown")
    assert answer.headers["retry-after"] == "2"


@pytest.mark.parametrize("order", ["kit first", "service first"])
async def test_a_services_rule_for_a_subclass_wins_over_its_base(order: str) -> None:
    own = ProblemRule(OutOfStock, 409, "Not enough left")
    rules = (*DOMAIN_PROBLEMS, own) if order == "kit first" else (own, *DOMAIN_PROBLEMS)
    app = problem_app(*rules)
    assert (await get(app, "stock")).json()["title"] == "Not enough left"
    assert (await get(app, "invalid")).status_code == 422


async def test_a_later_rule_for_the_same_class_replaces_the_kits() -> None:
    app = problem_app(*DOMAIN_PROBLEMS, ProblemRule(InvalidChange, 422, "Change refused"))
    assert (await get(app, "invalid")).json()["title"] == "Change refused"
