# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's audit page: each service's recent projection rebuilds.

A service's read tables (the catalogue, the order overview, the voucher balances, the
delivery board) are projections of its event log; an operator rebuilds one from the log
beside the live one and compares them (``downtown-projections rebuild``). The association
audits the town by seeing that they matched: every service's API keeps the record of each
rebuild and answers ``GET /projections/rebuilds`` to the association's token, so this page
asks the four side by side and shows, per service, what each rebuild read, how long it took,
each table's rows live and rebuilt, and whether they matched and were swapped in. A service
that does not answer (or that the town does not run) leaves its section saying so.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse

from downtown_web.pages import Page, PageOf
from downtown_web.problems import Said
from downtown_web.services import Service, ServiceProblem
from downtown_web.visitor import ASSOCIATION, association_of
from downtown_web.words import N_

router = APIRouter(prefix="/association")

SHOWN = 20
"""Rebuilds shown per service: the recent ones; the service keeps the rest."""
SERVICE_NAMES = {
    "catalog": N_("Catalogue and directory"),
    "ordering": N_("Orders"),
    "vouchers": N_("Vouchers"),
    "dispatch": N_("Deliveries"),
}
"""Each service as the association knows it, in the order the page lists them."""


@dataclass(frozen=True)
class TableRow:
    """One table of a rebuild: its rows live and rebuilt, and whether they agree."""

    table: str
    live_rows: str
    rebuilt_rows: str
    matches: bool


@dataclass(frozen=True)
class Rebuild:
    """One rebuild as the page shows it, numbers written in the page's language."""

    projection: str
    finished_at: datetime
    events_read: str
    took: str
    tables: list[TableRow]
    matches: bool
    compared: bool
    swapped: bool
    forced: bool
    note: str


@dataclass(frozen=True)
class ServiceRebuilds:
    """A service's section: its rebuilds, or why it did not say."""

    name: str
    rebuilds: list[Rebuild]
    said: Said | None


def rebuild_of(answer: dict[str, Any], language: str) -> Rebuild:
    """A service's answer (``RebuildOut``) with its counts and duration for people."""

    def number(value: int) -> str:
        return format_decimal(value, locale=language)

    seconds = float(answer.get("seconds") or 0)
    tables = [
        TableRow(
            table=str(table["table"]),
            live_rows=number(int(table["live_rows"])),
            rebuilt_rows=number(int(table["rebuilt_rows"])),
            matches=bool(table["matches"]),
        )
        for table in answer.get("tables") or []
    ]
    return Rebuild(
        projection=str(answer["projection"]),
        finished_at=datetime.fromisoformat(str(answer["finished_at"])),
        events_read=number(int(answer.get("events_read") or 0)),
        took=format_decimal(round(seconds, 1 if seconds < 100 else 0), format="#,##0.#", locale=language),
        tables=tables,
        matches=bool(answer.get("matches")),
        compared=bool(tables),
        swapped=bool(answer.get("swapped")),
        forced=bool(answer.get("forced")),
        note=str(answer.get("note") or ""),
    )


async def _rebuilds_of(page: Page, service: Service, auth: dict[str, str]) -> Any:
    """The service's recent rebuilds, or its refusal (or silence) for its section to say."""
    try:
        return await service.call(
            "GET", "/projections/rebuilds", language=page.language, headers=auth, params={"limit": SHOWN}
        )
    except ServiceProblem as problem:
        return problem


def _signed_out() -> Response:
    """Back to the association's sign-in, its cookie gone (none, or a token refused now)."""
    response = RedirectResponse("/association/sign-in", status_code=303)
    ASSOCIATION.forget(response)
    return response


@router.get("/audit", summary="Audit: each service's recent projection rebuilds, matched or not")
async def audit_page(page: PageOf) -> Response:
    auth = association_of(page.request)
    if auth is None:
        return _signed_out()
    services = [getattr(page.services, name) for name in SERVICE_NAMES]
    answers = await asyncio.gather(*(_rebuilds_of(page, service, auth) for service in services))
    if any(isinstance(answer, ServiceProblem) and answer.status in (401, 403) for answer in answers):
        return _signed_out()  # the town's token changed: sign in with the new one
    sections = [
        ServiceRebuilds(page._(title), [], page.refusal(answer))
        if isinstance(answer, ServiceProblem)
        else ServiceRebuilds(page._(title), [rebuild_of(row, page.language) for row in answer or []], None)
        for title, answer in zip(SERVICE_NAMES.values(), answers, strict=True)
    ]
    return page.render("association_audit.html", sections=sections)
