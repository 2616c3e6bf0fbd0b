# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier service's monthly statement, for the association that pays it: its deliveries
with what customers paid and what the town owes, and the attempts and returns nobody paid.

JSON only; a PDF like the vouchers' settlements is not written yet. Amounts are integer
cents and, beside them, as a reader writes them (``Accept-Language``: German or English,
German by default), by the kit's money formatting.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Header, Path
from pydantic import BaseModel

from dispatch.api.deps import Caller, Container, ReadDb
from dispatch.domain.errors import NotFound
from dispatch.projections.statements import MonthTotals, StatementLine, Statements, month_bounds
from downtown_events.money import Language, format_money
from downtown_events.runtime.http.languages import preferred_language

router = APIRouter(tags=["statements"])
STATEMENTS = Statements()
MONTH_PATTERN = r"^2[0-9]{3}-(?:0[1-9]|1[0-2])$"
Month = Annotated[str, Path(pattern=MONTH_PATTERN, examples=["2026-12"], description="a month of the town's calendar")]
LANGUAGES: tuple[Language, ...] = ("de", "en")


class DeliveryLine(BaseModel):
    date: date
    """The town's calendar day of the hand-over."""
    at: datetime
    job_id: UUID
    courier_id: UUID | None
    orders: int
    fee_cents: int
    fee: str
    town_cents: int
    town: str


class UnpaidLine(BaseModel):
    """A failed attempt (``attempt``, ``reason``) or a return to the shops (``returned``)."""

    kind: Literal["failed", "returned"]
    date: date
    at: datetime
    job_id: UUID
    courier_id: UUID | None
    orders: int
    attempt: int | None
    reason: str | None


class StatementOut(BaseModel):
    courier_service_id: UUID
    courier_service: str
    month: str
    timezone: str
    deliveries: int
    customers_fees_cents: int
    customers_fees: str
    town_owes_cents: int
    town_owes: str
    failed_attempts: int
    returns: int
    lines: list[DeliveryLine]
    unpaid: list[UnpaidLine]


@router.get("/courier-services/{courier_service_id}/statements/{month}", summary="A courier service's month")
async def courier_service_statement(
    courier_service_id: UUID,
    month: Month,
    caller: Caller,
    container: Container,
    conn: ReadDb,
    accept_language: Annotated[str | None, Header()] = None,
) -> StatementOut:
    """The association's statement of a courier service for a calendar month of the town:
    the deliveries it made (what customers paid for them, and what the town owes it: a fee
    rule paid by the town, or a basket delivered free), and its failed attempts and returns."""
    caller.association()
    service = await STATEMENTS.service(conn, courier_service_id)
    if service is None:
        raise NotFound("no courier service of that id is registered (a new one may take a moment to appear)")
    zone = ZoneInfo(container.settings.timezone)
    starts, ends = month_bounds(int(month[:4]), int(month[5:]), zone)
    lines = await STATEMENTS.lines(conn, courier_service_id, starts, ends)
    totals = MonthTotals.of(lines)
    language: Language = "en" if preferred_language(accept_language, LANGUAGES, "de") == "en" else "de"
    return StatementOut(
        courier_service_id=courier_service_id,
        courier_service=service.name,
        month=month,
        timezone=str(zone),
        deliveries=totals.deliveries,
        customers_fees_cents=totals.fee_cents,
        customers_fees=format_money(totals.fee_cents, language),
        town_owes_cents=totals.town_cents,
        town_owes=format_money(totals.town_cents, language),
        failed_attempts=totals.failed_attempts,
        returns=totals.returns,
        lines=[_delivery(line, zone, language) for line in lines if line.kind == "delivered"],
        unpaid=[_unpaid(line, zone) for line in lines if line.kind != "delivered"],
    )


def _delivery(line: StatementLine, zone: ZoneInfo, language: Language) -> DeliveryLine:
    return DeliveryLine(
        date=line.at.astimezone(zone).date(),
        at=line.at,
        job_id=line.job_id,
        courier_id=line.courier_id,
        orders=line.orders,
        fee_cents=line.fee_cents,
        fee=format_money(line.fee_cents, language),
        town_cents=line.town_cents,
        town=format_money(line.town_cents, language),
    )


def _unpaid(line: StatementLine, zone: ZoneInfo) -> UnpaidLine:
    return UnpaidLine(
        kind="returned" if line.kind == "returned" else "failed",
        date=line.at.astimezone(zone).date(),
        at=line.at,
        job_id=line.job_id,
        courier_id=line.courier_id,
        orders=line.orders,
        attempt=line.attempt,
        reason=line.reason,
    )
