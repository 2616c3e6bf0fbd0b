# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's (and a merchant's own) view of the ledger: liability, figures, settlement.

Every figure here is a sum over the read models, rebuilt from the log with the runtime's
rebuild: the town can prove each balance from its own event log.

A statement's CSV and PDF are written in the reader's language: the ``lang`` query parameter
(a link can carry it), else ``Accept-Language``, else German, the town's first language; the
JSON keeps its machine field names in every language.
"""

from __future__ import annotations

import re
from datetime import date
from functools import partial
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Response

from downtown_events.runtime.http.languages import preferred_language
from downtown_events.runtime.http.openapi import also_answers
from downtown_events.runtime.principal import NotPermitted
from vouchers.adapters.documents import (
    CSV_ENCODING,
    CounterSale,
    SettlementLine,
    SettlementStatement,
    settlement_csv,
    settlement_pdf,
)
from vouchers.adapters.documents.wording import DEFAULT_LANGUAGE, LANGUAGES, Wording
from vouchers.api.deps import AppHandlers, Caller, Container, ReadDb
from vouchers.api.documents import document_texts
from vouchers.api.schemas import SettlementOut
from vouchers.domain.errors import InvalidChange
from vouchers.domain.sale import Language
from vouchers.projections import queries

router = APIRouter(tags=["reports"])
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
Day = Annotated[
    date, Query(description=f"a day of the town's calendar, e.g. 2026-12-01 (from {FIRST_DAY} to {LAST_DAY})")
]
Rows = list[dict[str, Any]]
_FILE_STEM = re.compile(r"[a-z0-9-]{1,40}")


async def get_wording(
    container: Container,
    lang: Annotated[
        Language | None,
        Query(description="the reader's language; without it, Accept-Language decides (default: de)"),
    ] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Wording:
    """The words a statement's CSV or PDF is written in, for whoever asked for it."""
    language = lang or preferred_language(accept_language, LANGUAGES, DEFAULT_LANGUAGE)
    return Wording.of(language, document_texts(container))


Words = Annotated[Wording, Depends(get_wording)]


def _period(start: date, end: date, container: Container) -> queries.Period:
    if not FIRST_DAY <= start <= LAST_DAY or not FIRST_DAY <= end <= LAST_DAY:
        # 9999-12-31 has no midnight after it: the period's bounds would overflow (a 500).
        raise InvalidChange(f"a period lies between {FIRST_DAY} and {LAST_DAY}")
    if end < start:
        raise InvalidChange("the period ends before it starts")
    if (end - start).days > 366:
        raise InvalidChange("a period is at most a year long")
    return queries.Period(start, end, ZoneInfo(container.settings.timezone))


@router.get("/liability")
async def liability(caller: Caller, db: ReadDb) -> Rows:
    """Outstanding balances per programme and merchant (the buyer's money and bonus apart);
    a merchant sees its own merchant vouchers."""
    merchant = None if caller.role == "association" else caller.merchant()
    return await queries.liability(db, merchant)


@router.get("/figures")
async def figures(
    start: Day,
    end: Day,
    caller: Caller,
    db: ReadDb,
    container: Container,
    bucket: Literal["hour", "day", "month"] = "day",
) -> Rows:
    """Sales, redemptions, reversals, refunds, breakage and bonus over time, per programme."""
    caller.association()
    return await queries.figures(db, _period(start, end, container), bucket=bucket)


@router.get("/settlements")
async def settlements(start: Day, end: Day, caller: Caller, db: ReadDb, container: Container) -> Rows:
    """What the association owes each merchant for town vouchers redeemed in the period, net
    of the cash the merchant took for town vouchers at its counter (the town's money it
    holds): `owed_cents` = `redeemed_cents` − `reversed_cents` − `counter_cash_cents`; below
    zero, the merchant owes the association."""
    caller.association()
    return await queries.settlement_summary(db, _period(start, end, container))


@router.get("/settlements/{programme_id}/{merchant_id}.json", response_model=SettlementOut)
async def settlement(
    programme_id: UUID, merchant_id: UUID, start: Day, end: Day, caller: Caller, db: ReadDb, container: Container
) -> SettlementOut:
    """One merchant's settlement of a town programme for the period: every redemption (and
    what of it was reversed or refunded), every counter sale of the programme's vouchers for
    cash, and what is owed net of that cash (`owed_cents` below zero: owed by the merchant)."""
    return SettlementOut.of(await statement_of(programme_id, merchant_id, start, end, caller, db, container))


async def statement_of(
    programme_id: UUID, merchant_id: UUID, start: date, end: date, caller: Caller, db: ReadDb, container: Container
) -> SettlementStatement:
    """The one statement the JSON, CSV and PDF are drawn from, so that the three net the
    same counter cash and agree on what is owed."""
    if caller.role != "association" and caller.merchant() != merchant_id:
        raise NotPermitted("a merchant sees its own settlement statements")
    programme = await container.handlers.programmes.programme(programme_id)
    if programme.kind != "town":
        raise InvalidChange("settlement statements are for town vouchers; a merchant keeps its own vouchers' money")
    merchant = await container.handlers.merchants.standing(merchant_id)
    period = _period(start, end, container)
    rows = await queries.settlement_lines(db, merchant_id, programme_id, period)
    timezone = period.timezone
    # Aware, in the town's time: the JSON gives the offset, the documents print the wall clock.
    lines = [
        SettlementLine(
            redeemed_at=(row["redeemed_at"] or row["first_at"]).astimezone(timezone),
            voucher_id=row["voucher_id"],
            redemption_id=row["redemption_id"],
            amount_cents=int(row["amount_cents"]),
            reversed_cents=int(row["reversed_cents"]),
            order_id=row["order_id"],
            masked_code=row["masked_code"],
        )
        for row in rows
    ]
    sales = [
        CounterSale(
            paid_at=row["paid_at"].astimezone(timezone),
            purchase_id=row["purchase_id"],
            vouchers=int(row["vouchers"]),
            cash_cents=int(row["cash_cents"]),
        )
        for row in await queries.counter_cash_lines(db, merchant_id, programme_id, period)
    ]
    return SettlementStatement(
        town_name=container.settings.display_name,
        programme_name=programme.terms.name,
        merchant_name=merchant.name or str(merchant_id),
        merchant_id=merchant_id,
        period_start=start,
        period_end=end,
        lines=lines,
        counter_sales=sales,
    )


@router.get("/settlements/{programme_id}/{merchant_id}.csv", responses={200: {"content": {"text/csv": {}}}})
async def settlement_as_csv(
    programme_id: UUID,
    merchant_id: UUID,
    start: Day,
    end: Day,
    caller: Caller,
    db: ReadDb,
    container: Container,
    words: Words,
) -> Response:
    """One merchant's settlement statement for a town programme, as a spreadsheet: the
    redemptions, the counter sales ("Barverkäufe"/"Counter sales") and the totals, closing
    with the payout ("Auszahlung an den Händler"/"Paid to the merchant") or, when counter
    cash exceeds it, the claim on the merchant ("Forderung an den Händler"/"Claimed from the
    merchant"); the same sums as the `.json` statement. In the reader's language (`lang`,
    else `Accept-Language`, else German), its numbers and dates as that language's
    spreadsheets read them (German: `;` and `1234,50`; English: `,` and `1234.50`)."""
    statement = await statement_of(programme_id, merchant_id, start, end, caller, db, container)
    return csv_response(statement, f"{merchant_id}-{start}-{end}", words)


def csv_response(statement: SettlementStatement, name: str, words: Wording) -> Response:
    """The statement's CSV as a download named ``<statement>-<name>.csv`` in the reader's words."""
    return Response(
        settlement_csv(statement, words).encode(CSV_ENCODING),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file_name(words, name)}.csv"'},
    )


def file_name(words: Wording, name: str) -> str:
    """``abrechnung-…`` (German), ``statement-…`` (English): a header's ASCII, whatever a
    town's catalogue says (its word is used only when it is plain lower-case ASCII)."""
    # Translators: the start of a settlement statement's file name: a-z, 0-9 and hyphens only
    stem = words.gettext("statement")
    return f"{stem if _FILE_STEM.fullmatch(stem) else 'statement'}-{name}"


@router.get(
    "/settlements/{programme_id}/{merchant_id}.pdf",
    responses={200: {"content": {"application/pdf": {}}}},
    openapi_extra=also_answers(503),
)
async def settlement_as_pdf(
    programme_id: UUID,
    merchant_id: UUID,
    start: Day,
    end: Day,
    caller: Caller,
    db: ReadDb,
    container: Container,
    words: Words,
) -> Response:
    """The same statement, counter sales netted, as a PDF the association pays from, in the
    reader's language (`lang`, else `Accept-Language`, else German)."""
    statement = await statement_of(programme_id, merchant_id, start, end, caller, db, container)
    return await pdf_response(statement, f"{merchant_id}-{start}-{end}", container, words)


async def pdf_response(statement: SettlementStatement, name: str, container: Container, words: Wording) -> Response:
    """The statement's PDF as a download named ``<statement>-<name>.pdf`` in the reader's words."""
    return Response(
        await container.renderer.render(partial(settlement_pdf, statement, words)),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{file_name(words, name)}.pdf"'},
    )


@router.get("/vouchers/{voucher_id}/history")
async def voucher_history(voucher_id: UUID, caller: Caller, handlers: AppHandlers, db: ReadDb) -> Rows:
    """Every change of one voucher, from the ledger (the same caller rules as the voucher):
    the association sees all, a merchant the voucher's issue and expiry and its own
    redemptions, reversals and refunds, not where else a town voucher was spent."""
    await handlers.redemptions.voucher(caller, voucher_id)
    merchant = None if caller.role == "association" else caller.merchant()
    return await queries.history(db, voucher_id, merchant)
