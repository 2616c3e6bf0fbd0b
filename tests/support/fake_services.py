# SPDX-License-Identifier: AGPL-3.0-or-later
"""The web front's services, faked for its unit tests: each answers from a table and keeps
every call, so a test reads what a page asked and sent without a running town.

A test puts a ``FakeServices`` on the app (``client.app.state.services = …``) in place of
``downtown_web.services.Services``; pages call ``services.<name>.call(…)`` and
``get_bytes(…)`` on it exactly as on the real one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from downtown_web.services import ServiceProblem

SERVICE_NAMES = ("catalog", "ordering", "vouchers", "dispatch")
NOT_FOUND = object()
"""``otherwise=NOT_FOUND``: a path the table does not name answers 404 (a ServiceProblem)."""


@dataclass(frozen=True)
class Call:
    """One call a page made: its method, path and keyword arguments (json, data, headers, params)."""

    method: str
    path: str
    options: Mapping[str, Any]

    @property
    def body(self) -> Any:
        """What was sent: the JSON, else the form data (a photo's upload), else None."""
        body = self.options.get("json")
        return self.options.get("data") if body is None else body

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.options.get("headers") or {})


class FakeService:
    """Answers from ``answers``, keyed by ``(method, path)`` or by the path alone; a path it
    does not name answers ``otherwise`` (None, any answer, or ``NOT_FOUND``). An answer that
    is a ``ServiceProblem`` is raised, as the real client raises a refusal. ``files`` are the
    documents ``get_bytes`` hands out by path; another path is a service not answering (503)."""

    def __init__(
        self,
        answers: Mapping[Any, Any] | None = None,
        *,
        otherwise: Any = None,
        files: Mapping[str, httpx.Response] | None = None,
    ) -> None:
        self.answers = dict(answers or {})
        self.otherwise = otherwise
        self.files = dict(files or {})
        self.calls: list[Call] = []
        self.fetched: list[tuple[str, Mapping[str, str] | None]] = []

    async def call(self, method: str, path: str, **options: Any) -> Any:
        self.calls.append(Call(method, path, options))
        answer = self.answers.get((method, path), self.answers.get(path, self.otherwise))
        if answer is NOT_FOUND:
            answer = ServiceProblem(404, "Not Found", path)
        if isinstance(answer, ServiceProblem):
            raise answer
        return answer

    async def get_bytes(
        self, path: str, headers: dict[str, str] | None = None, params: dict[str, str] | None = None
    ) -> httpx.Response:
        self.fetched.append((path, params))
        if path not in self.files:
            raise ServiceProblem(503, "Unavailable", "not answering")
        return self.files[path]

    @property
    def sent(self) -> list[tuple[str, str, Any]]:
        """Method, path and body of every call that changes something (all but GETs)."""
        return [(call.method, call.path, call.body) for call in self.calls if call.method != "GET"]

    @property
    def posted(self) -> list[tuple[str, Any]]:
        """Path and body of every POST."""
        return [(call.path, call.body) for call in self.calls if call.method == "POST"]


class FakeServices:
    """The four services a page may call; one not given answers nothing it is not told
    (``otherwise``, as for a ``FakeService``)."""

    def __init__(self, *, otherwise: Any = None, **services: FakeService) -> None:
        unknown = set(services) - set(SERVICE_NAMES)
        if unknown:
            raise TypeError(f"no such service: {sorted(unknown)}")
        given = {name: services.get(name) or FakeService(otherwise=otherwise) for name in SERVICE_NAMES}
        self.catalog = given["catalog"]
        self.ordering = given["ordering"]
        self.vouchers = given["vouchers"]
        self.dispatch = given["dispatch"]

    async def close(self) -> None:
        return None
