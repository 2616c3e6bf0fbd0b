# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant's own settlements: what the town owes it for town vouchers, month by month.

A merchant signs in with its own token and nothing else: it lists its settlements across
every town programme it redeemed for or sold at its counter, a row per month and programme
(by name) with the statement's sums and links to it, and opens a month's statement without
knowing an id (``/merchants/me/settlements/2026-12.pdf``; when it settled several programmes
that month, the listing's links name each). The statements are the association's
(``reports``): the same sums, drawn from the same rows, and the CSV and PDF in the reader's
language as there (``lang``, else ``Accept-Language``, else German).
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response

from downtown_events.runtime.http.openapi import also_answers
from vouchers.adapters.documents import SettlementStatement
from vouchers.api.deps import Caller, Container, ReadDb
from vouchers.api.routes.reports import Words, csv_response, pdf_response, statement_of
from vouchers.api.schemas import MerchantSettlementOut, SettlementOut, StatementLinks
from vouchers.domain.errors import InvalidChange, NotFound
from vouchers.projections import queries
from vouchers.projections.settlement_months import merchant_settlement_months

router = APIRouter(tags=["reports"])
MINE = "/merchants/me/settlements"
MONTH_PATTERN = r"^2[0-9]{3}-(?:0[1-9]|1[0-2])$"
MONTHS_AT_MOST = 24
DEFAULT_MONTHS = 12
Month = Annotated[str, Path(pattern=MONTH_PATTERN, examples=["2026-12"], description="a month of the town's calendar")]
FromMonth = Annotated[
    str | None,
    Query(pattern=MONTH_PATTERN, examples=["2026-01"], description="the first month listed (default: a year back)"),
]
ToMonth = Annotated[
    str | None,
    Query(pattern=MONTH_PATTERN, examples=["2026-12"], description="the last month listed (default: this month)"),
]
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}
CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}


@router.get(MINE, response_model=list[MerchantSettlementOut])
async def my_settlements(
    caller: Caller, db: ReadDb, container: Container, start: FromMonth = None, end: ToMonth = None
) -> list[MerchantSettlementOut]:
    """Your settlements of town vouchers, one per month and programme with anything in it
    (redemptions at your shop, town vouchers you sold for cash), the latest month first:
    what the association owes you, net of the town's cash you took (`owed_cents` below zero:
    what you owe it), and where each statement is as JSON, CSV and PDF. Months are the
    town's calendar months; by default the last twelve, this one included."""
    merchant_id = caller.merchant()
    first, last = _listed_months(start, end, container)
    rows = await merchant_settlement_months(db, merchant_id, _months_period(first, last, container))
    return [_listed(row) for row in rows]


@router.get(f"{MINE}/{{month}}.json", response_model=SettlementOut)
async def my_statement(month: Month, caller: Caller, db: ReadDb, container: Container) -> SettlementOut:
    """The month's statement of the one town programme you settled that month (a month of
    several names each in the listing's links)."""
    return SettlementOut.of(await _only_statement(month, caller, db, container))


@router.get(f"{MINE}/{{month}}.csv", responses=CSV)
async def my_statement_as_csv(month: Month, caller: Caller, db: ReadDb, container: Container, words: Words) -> Response:
    """The month's statement as a spreadsheet (see `/merchants/me/settlements/{month}.json`),
    in your language (`lang`, else `Accept-Language`, else German)."""
    return csv_response(await _only_statement(month, caller, db, container), month, words)


@router.get(f"{MINE}/{{month}}.pdf", responses=PDF, openapi_extra=also_answers(503))
async def my_statement_as_pdf(month: Month, caller: Caller, db: ReadDb, container: Container, words: Words) -> Response:
    """The month's statement as a PDF (see `/merchants/me/settlements/{month}.json`), in your
    language (`lang`, else `Accept-Language`, else German)."""
    statement = await _only_statement(month, caller, db, container)
    return await pdf_response(statement, month, container, words)


@router.get(f"{MINE}/{{month}}/{{programme_id}}.json", response_model=SettlementOut)
async def my_programme_statement(
    month: Month, programme_id: UUID, caller: Caller, db: ReadDb, container: Container
) -> SettlementOut:
    """One town programme's statement for the month, as the listing links it."""
    return SettlementOut.of(await _statement(month, programme_id, caller, db, container))


@router.get(f"{MINE}/{{month}}/{{programme_id}}.csv", responses=CSV)
async def my_programme_statement_as_csv(
    month: Month, programme_id: UUID, caller: Caller, db: ReadDb, container: Container, words: Words
) -> Response:
    """One town programme's statement for the month, as a spreadsheet in your language."""
    statement = await _statement(month, programme_id, caller, db, container)
    return csv_response(statement, f"{month}-{programme_id}", words)


@router.get(f"{MINE}/{{month}}/{{programme_id}}.pdf", responses=PDF, openapi_extra=also_answers(503))
async def my_programme_statement_as_pdf(
    month: Month, programme_id: UUID, caller: Caller, db: ReadDb, container: Container, words: Words
) -> Response:
    """One town programme's statement for the month, as a PDF in your language."""
    statement = await _statement(month, programme_id, caller, db, container)
    return await pdf_response(statement, f"{month}-{programme_id}", container, words)


def _days(month: str) -> tuple[date, date]:
    """``2026-02`` → its first and last day."""
    year, number = int(month[:4]), int(month[5:7])
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def _index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _listed_months(start: str | None, end: str | None, container: Container) -> tuple[date, date]:
    """The first day of the first month and the last day of the last month listed."""
    today = container.handlers.context.today()
    last = _days(end)[1] if end else _days(f"{today:%Y-%m}")[1]
    if start:
        first = _days(start)[0]
    else:
        back = _index(last) - (DEFAULT_MONTHS - 1)
        first = date(back // 12, back % 12 + 1, 1)
    if first > last:
        raise InvalidChange("the months listed end before they start")
    if _index(last) - _index(first) >= MONTHS_AT_MOST:
        raise InvalidChange(f"list at most {MONTHS_AT_MOST} months at once")
    return first, last


def _months_period(first: date, last: date, container: Container) -> queries.Period:
    return queries.Period(first, last, container.handlers.context.timezone)


def _listed(row: dict[str, Any]) -> MerchantSettlementOut:
    month = f"{row['month']:%Y-%m}"
    start, end = _days(month)
    base = f"{MINE}/{month}/{row['programme_id']}"
    return MerchantSettlementOut(
        month=month,
        period_start=start,
        period_end=end,
        programme_id=row["programme_id"],
        programme_name=row["programme_name"] or "",
        redemptions=int(row["redemptions"]),
        redeemed_cents=int(row["redeemed_cents"]),
        reversed_cents=int(row["reversed_cents"]),
        counter_sales=int(row["counter_sales"]),
        counter_cash_cents=int(row["counter_cash_cents"]),
        owed_cents=int(row["owed_cents"]),
        statement=StatementLinks(json_url=f"{base}.json", csv_url=f"{base}.csv", pdf_url=f"{base}.pdf"),
    )


async def _statement(
    month: str, programme_id: UUID, caller: Caller, db: ReadDb, container: Container
) -> SettlementStatement:
    start, end = _days(month)
    return await statement_of(programme_id, caller.merchant(), start, end, caller, db, container)


async def _only_statement(month: str, caller: Caller, db: ReadDb, container: Container) -> SettlementStatement:
    """The statement of the month's one town programme; several are named, none is a 404."""
    merchant_id = caller.merchant()
    start, end = _days(month)
    rows = await merchant_settlement_months(db, merchant_id, _months_period(start, end, container))
    programmes = {row["programme_id"]: row["programme_name"] or str(row["programme_id"]) for row in rows}
    if not programmes:
        raise NotFound(f"nothing to settle in {month}: no town voucher was redeemed or sold for cash at your shop")
    if len(programmes) > 1:
        names = ", ".join(sorted(programmes.values()))
        raise InvalidChange(
            f"in {month} you settled {len(programmes)} town programmes ({names}): open one by the links of "
            f"{MINE}?start={month}&end={month}"
        )
    (programme_id,) = programmes
    return await statement_of(programme_id, merchant_id, start, end, caller, db, container)
