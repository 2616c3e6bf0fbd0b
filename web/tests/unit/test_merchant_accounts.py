# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's invoices and voucher settlements, and the association's statements, over
services answering from a table: what a list shows and says when it is empty, and how a
document is handed on (its type and file name, the service's refusal as a page, a service
that does not answer as the "try again" page)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from fastapi.testclient import TestClient

from downtown_web.asgi import create_app
from downtown_web.documents import CSV, PDF, disposition, handed_on
from downtown_web.routes.merchant_accounts import invoice_rows, settlement_rows
from downtown_web.services import ServiceProblem
from downtown_web.settings import WebSettings
from tests.support.fake_services import NOT_FOUND, FakeService, FakeServices

PROGRAMME = "9e1f0000-0000-4000-8000-000000000002"
SHOP = "7d4c2a7e-0000-4000-8000-000000000001"
INVOICE = {
    "invoice_number": "RE-2026-0007",
    "kind": "invoice",
    "status": "open",
    "issued_on": "2026-12-03",
    "order_id": "5b9cf0a2-0000-4000-8000-000000000001",
    "customer_name": "Firma Beispiel GmbH",
    "total_cents": 2260,
    "open_cents": 2260,
    "cancels_number": None,
    "cancelled_by_number": None,
}
SETTLEMENT = {
    "month": "2026-11",
    "programme_id": PROGRAMME,
    "programme_name": "Stadtgutschein",
    "redemptions": 3,
    "redeemed_cents": 4500,
    "reversed_cents": 0,
    "counter_sales": 0,
    "counter_cash_cents": 0,
    "owed_cents": 4500,
    "statement": {"pdf_url": f"/merchants/me/settlements/2026-11/{PROGRAMME}.pdf"},
}


def test_a_service_names_the_file_when_the_name_is_plain_else_the_front_does() -> None:
    assert disposition('attachment; filename="abrechnung-2026-11.pdf"', "x.pdf") == (
        'attachment; filename="abrechnung-2026-11.pdf"'
    )
    assert disposition("inline; filename=RE-2026-0007.pdf", "x.pdf") == 'inline; filename="RE-2026-0007.pdf"'
    for odd in (None, "", 'attachment; filename="../../etc/passwd"', 'inline; filename="a.pdf"; x=1'):
        assert disposition(odd, "RE-1.pdf") == 'attachment; filename="RE-1.pdf"'
    with pytest.raises(ValueError):
        disposition(None, 'a"b.pdf')


def test_a_document_is_handed_on_with_its_type_and_a_refusal_or_another_type_is_not() -> None:
    pdf = httpx.Response(200, content=b"%PDF-1.7 x", headers={"content-type": PDF})
    handed = handed_on(pdf, PDF, "RE-1.pdf")
    assert handed.body == b"%PDF-1.7 x" and handed.media_type == PDF
    assert handed.headers["content-disposition"] == 'attachment; filename="RE-1.pdf"'
    assert handed.headers["cache-control"] == "no-store"
    sheet = httpx.Response(200, content=b"a;b", headers={"content-type": "text/csv; charset=utf-8"})
    assert handed_on(sheet, CSV, "s.csv").headers["content-type"] == "text/csv; charset=utf-8"
    refused = httpx.Response(404, json={"title": "Not Found", "detail": "no such invoice of this shop"})
    with pytest.raises(ServiceProblem) as problem:
        handed_on(refused, PDF, "RE-1.pdf")
    assert problem.value.status == 404
    with pytest.raises(ServiceProblem) as wrong:
        handed_on(httpx.Response(200, text="<html>", headers={"content-type": "text/html"}), PDF, "RE-1.pdf")
    assert wrong.value.status == 502


def test_the_rows_link_to_the_fronts_own_documents() -> None:
    (invoice,) = invoice_rows([INVOICE])
    assert invoice["issued_on"] == date(2026, 12, 3) and invoice["pdf"] == "/merchant/invoices/RE-2026-0007.pdf"
    (month,) = settlement_rows([SETTLEMENT])
    assert month["first_day"] == date(2026, 11, 1)
    assert month["pdf"] == f"/merchant/settlements/2026-11/{PROGRAMME}.pdf"
    assert month["csv"] == f"/merchant/settlements/2026-11/{PROGRAMME}.csv"


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(WebSettings(town="testtown")), headers={"Accept-Language": "en"}) as test_client:
        yield test_client


def test_the_invoices_and_settlements_pages_list_link_and_say_when_empty(client: TestClient) -> None:
    invoice_pdf = httpx.Response(
        200,
        content=b"%PDF-1.7",
        headers={"content-type": PDF, "content-disposition": "inline; filename=RE-2026-0007.pdf"},
    )
    ordering = FakeService(
        {"/merchants/me/invoices": [INVOICE]},
        files={"/merchants/me/invoices/RE-2026-0007.pdf": invoice_pdf},
        otherwise=NOT_FOUND,
    )
    vouchers = FakeService({"/merchants/me/settlements": [SETTLEMENT]}, otherwise=NOT_FOUND)
    client.app.state.services = FakeServices(otherwise=NOT_FOUND, ordering=ordering, vouchers=vouchers)  # type: ignore[attr-defined]
    for path in ("/merchant/invoices", "/merchant/settlements", "/merchant/invoices/RE-2026-0007.pdf"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/merchant/sign-in"
    client.cookies.set("merchant", "m" * 40)

    listed = client.get("/merchant/invoices")
    assert listed.status_code == 200 and "RE-2026-0007" in listed.text and "Firma Beispiel GmbH" in listed.text
    assert "€22.60" in listed.text and 'href="/merchant/invoices/RE-2026-0007.pdf"' in listed.text
    assert 'href="/merchant/invoices?status=open" aria-current="page"' in listed.text
    pdf = client.get("/merchant/invoices/RE-2026-0007.pdf")
    assert pdf.content == b"%PDF-1.7" and pdf.headers["content-disposition"] == 'inline; filename="RE-2026-0007.pdf"'
    another = client.get("/merchant/invoices/RE-2026-9999.pdf")  # not answered: the service does not answer
    assert another.status_code == 503 and "try again" in another.text
    assert client.get("/merchant/invoices", params={"status": "unpaid"}).status_code == 422

    months = client.get("/merchant/settlements")
    assert months.status_code == 200 and "November 2026" in months.text and "€45.00" in months.text
    assert f'href="/merchant/settlements/2026-11/{PROGRAMME}.csv"' in months.text

    ordering.answers["/merchants/me/invoices"] = []
    vouchers.answers["/merchants/me/settlements"] = []
    assert "No invoices yet." in client.get("/merchant/invoices", params={"status": "all"}).text
    assert "No settlements yet" in client.get("/merchant/settlements").text
    ordering.answers["/merchants/me/invoices"] = ServiceProblem(401, "Unauthorized", "expired")
    assert client.get("/merchant/invoices", follow_redirects=False).headers["location"] == "/merchant/sign-in"


def test_the_association_opens_a_statement_through_the_front_and_a_refusal_is_a_page(client: TestClient) -> None:
    stem = f"/settlements/{PROGRAMME}/{SHOP}"
    sheet = httpx.Response(
        200,
        content=b"Gutschein;Betrag",
        headers={"content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="a.csv"'},
    )
    vouchers = FakeService(
        otherwise=NOT_FOUND,
        files={f"{stem}.csv": sheet, f"{stem}.pdf": httpx.Response(404, json={"title": "Not Found", "detail": "x"})},
    )
    client.app.state.services = FakeServices(otherwise=NOT_FOUND, vouchers=vouchers)  # type: ignore[attr-defined]
    period = {"start": "2026-11-01", "end": "2026-12-07"}
    signed_out = client.get(f"/association{stem}.csv", params=period, follow_redirects=False)
    assert signed_out.headers["location"] == "/association/sign-in"
    client.cookies.set("association", "a" * 40)

    csv = client.get(f"/association{stem}.csv", params=period)
    assert csv.status_code == 200 and csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.headers["content-disposition"] == 'attachment; filename="a.csv"'
    assert vouchers.fetched[-1] == (f"{stem}.csv", {**period, "lang": "en"})
    missing = client.get(f"/association{stem}.pdf", params=period)
    assert missing.status_code == 404 and "no longer here" in missing.text
    assert client.get(f"/association{stem}.doc", params=period).status_code == 422
