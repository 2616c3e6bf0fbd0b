# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's accounts on its phone: its invoices (open, paid, all) with their PDFs, and
what the town owes it for town vouchers, month by month, with each statement's PDF and CSV.

Both lists are the services' own, read with the merchant's token from its cookie: ordering's
``/merchants/me/invoices`` and vouchers' ``/merchants/me/settlements``. The documents are
passed through this front (:mod:`downtown_web.documents`), so the browser never holds the
token; ordering and vouchers answer only the signed-in merchant's own documents, and their
refusal of any other is the front's page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Response

from downtown_web.documents import CSV, PDF, handed_on
from downtown_web.pages import Page, PageOf
from downtown_web.routes.merchant import SIGN_IN
from downtown_web.services import Service, ServiceProblem
from downtown_web.visitor import merchant_of
from downtown_web.words import N_

router = APIRouter(prefix="/merchant")

InvoiceFilter = Literal["open", "paid", "all"]
INVOICE_FILTERS: dict[str, str] = {"open": N_("Open"), "paid": N_("Paid"), "all": N_("All")}
"""The list's filters, as ordering names them and as the page's links read."""
INVOICE_STATUSES = {
    "open": N_("open"),
    "paid": N_("paid"),
    "cancelled": N_("cancelled"),
    "cancellation": N_("cancellation invoice"),
}
"""An invoice's status as the shop reads it."""
SHOWN_INVOICES = 200
InvoiceNumber = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
"""An invoice number as ordering writes it (``RE-2026-0001``): no dot, no slash."""
Month = Annotated[str, Path(pattern=r"^2[0-9]{3}-(?:0[1-9]|1[0-2])$")]
"""A month of the town's calendar (``2026-12``), as vouchers takes it."""


def invoice_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ordering's rows as the page shows them: the day a date, and the front's link to the PDF."""
    return [
        {
            **row,
            "issued_on": date.fromisoformat(row["issued_on"]),
            "pdf": f"/merchant/invoices/{row['invoice_number']}.pdf",
        }
        for row in rows
    ]


def settlement_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Vouchers' rows (a month and programme each, the latest month first) as the page shows
    them: the month a date to word, and the front's links to its statement. The links are
    made of the month and the programme's id, never of the service's own addresses."""
    shown = []
    for row in rows:
        month = str(row["month"])
        stem = f"/merchant/settlements/{month}/{UUID(str(row['programme_id']))}"
        shown.append(
            {**row, "first_day": date.fromisoformat(f"{month}-01"), "pdf": f"{stem}.pdf", "csv": f"{stem}.csv"}
        )
    return shown


async def _read(page: Page, service: Service, path: str, auth: dict[str, str], **params: Any) -> Any:
    return await service.call("GET", path, language=page.language, headers=auth, params=params or None)


# --- invoices ----------------------------------------------------------------------------


@router.get("/invoices", summary="The shop's invoices: open, paid or all, each with its PDF")
async def invoices_page(page: PageOf, status: InvoiceFilter = "open") -> Response:
    auth = merchant_of(page.request)
    if auth is None:
        return SIGN_IN.signed_out()
    try:
        rows = await _read(
            page, page.services.ordering, "/merchants/me/invoices", auth, status=status, limit=SHOWN_INVOICES
        )
    except ServiceProblem as problem:
        if problem.status == 401:
            return SIGN_IN.signed_out()
        raise
    return page.render(
        "merchant_invoices.html",
        invoices=invoice_rows(rows),
        status=status,
        filters={name: page._(words) for name, words in INVOICE_FILTERS.items()},
        invoice_statuses={name: page._(words) for name, words in INVOICE_STATUSES.items()},
    )


@router.get("/invoices/{invoice_number}.pdf", summary="One of the shop's invoices, as issued")
async def invoice_pdf(page: PageOf, invoice_number: InvoiceNumber) -> Response:
    return await _document(
        page, page.services.ordering, f"/merchants/me/invoices/{invoice_number}.pdf", PDF, f"{invoice_number}.pdf"
    )


# --- voucher settlements -----------------------------------------------------------------


@router.get("/settlements", summary="What the town owes the shop for town vouchers, month by month")
async def settlements_page(page: PageOf) -> Response:
    auth = merchant_of(page.request)
    if auth is None:
        return SIGN_IN.signed_out()
    try:
        rows = await _read(page, page.services.vouchers, "/merchants/me/settlements", auth)
    except ServiceProblem as problem:
        if problem.status == 401:
            return SIGN_IN.signed_out()
        raise
    return page.render("merchant_settlements.html", settlements=settlement_rows(rows))


@router.get("/settlements/{month}/{programme_id}.pdf", summary="A month's settlement statement, as a PDF")
async def settlement_pdf(page: PageOf, month: Month, programme_id: UUID) -> Response:
    path = f"/merchants/me/settlements/{month}/{programme_id}.pdf"
    return await _document(page, page.services.vouchers, path, PDF, f"statement-{month}.pdf", lang=page.language)


@router.get("/settlements/{month}/{programme_id}.csv", summary="A month's settlement statement, as a spreadsheet")
async def settlement_csv(page: PageOf, month: Month, programme_id: UUID) -> Response:
    path = f"/merchants/me/settlements/{month}/{programme_id}.csv"
    return await _document(page, page.services.vouchers, path, CSV, f"statement-{month}.csv", lang=page.language)


async def _document(page: Page, service: Service, path: str, media_type: str, name: str, **params: str) -> Response:
    """The signed-in merchant's document from the service, handed on; signed out, back to
    signing in; another shop's document is the service's refusal, as a page."""
    auth = merchant_of(page.request)
    if auth is None:
        return SIGN_IN.signed_out()
    answer = await service.get_bytes(path, headers={**auth, "Accept-Language": page.language}, params=params or None)
    if answer.status_code == 401:
        return SIGN_IN.signed_out()
    return handed_on(answer, media_type, name)
