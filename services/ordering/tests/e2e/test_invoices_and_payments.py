# SPDX-License-Identifier: AGPL-3.0-or-later
"""What is owed clears, and invoices are collected on, on the real stack: a bakery's invoice
with bread at 7 % and a mug at 19 %, its IBAN and payment reference, paid by transfer in two
parts and leaving the open invoices; a receipt for an order paid at pickup; a cancellation
invoice and a correction taking the next numbers of the shop's one gapless sequence."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
import pypdfium2

from tests.support.local_stack import RunningTown
from tests.support.ordering_client import (
    BILLING,
    Shop,
    change_profile,
    check_out,
    guest,
    open_basket,
    open_shop,
    pickup,
    put,
    step,
    town_rows,
    wait_for,
)
from tests.support.polling import wait_until

IBAN = "DE89370400440532013000"
COMPANY = {"name": "Firma Beispiel GmbH", "email": "einkauf@beispiel.example", "billing_address": BILLING}


def _text(pdf: bytes) -> str:
    return " ".join(
        " ".join(str(page.get_textpage().get_text_range()).split()) for page in pypdfium2.PdfDocument(io.BytesIO(pdf))
    )


def _list(town: RunningTown, shop: Shop, title: str, price: str, vat_percent: int) -> str:
    """A product at its own VAT rate, ten in stock, known to ordering's replica with that rate."""
    listed = httpx.post(
        f"{town['catalog'].api}/offers/products",
        headers={**shop.auth, "Idempotency-Key": str(uuid.uuid4())},
        files={"photo": ("IMG_0001.jpg", _photo(title), "image/jpeg")},
        data={"price": price, "title": title, "stock": "10", "vat_percent": str(vat_percent)},
        timeout=30,
    )
    assert listed.status_code == 201, listed.text
    offer_id: str = listed.json()["offer_id"]
    shop.offers[title] = offer_id

    def replica_has_it() -> bool:
        rows = town_rows(town, "SELECT vat_percent, stock FROM ordering_offers WHERE offer_id = %s", (offer_id,))
        return bool(rows) and rows[0]["vat_percent"] == vat_percent and rows[0]["stock"] == 10

    wait_until(replica_has_it, seconds=30, what=f"ordering hearing of {title} at {vat_percent} %")
    return offer_id


def _photo(title: str) -> bytes:
    from photo_samples import sample_photo  # on the tests' path

    return sample_photo("jpeg", gps=False, text=title)


def _with_bank_account(town: RunningTown, shop: Shop) -> None:
    """The shop records its IBAN and says its number is a Steuernummer; ordering's replica has both."""
    account = {"iban": IBAN, "bic": "COBADEFFXXX", "account_holder": "Korn GbR"}
    change_profile(town, shop, bank_account=account, tax_number_kind="steuernummer")

    def replica_has_it() -> bool:
        rows = town_rows(
            town, "SELECT iban, tax_number_kind FROM ordering_merchants WHERE merchant_id = %s", (shop.merchant_id,)
        )
        return bool(rows) and rows[0] == {"iban": IBAN, "tax_number_kind": "steuernummer"}

    wait_until(replica_has_it, seconds=30, what="ordering hearing of the shop's bank account")


def _on_invoice() -> dict[str, Any]:
    return {**pickup(), "payment": {"method": "invoice"}}


def _handed_over(
    town: RunningTown, shop: Shop, quantities: dict[str, int], choice: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """An order accepted, confirmed and handed over (paid on the spot when that is the way)."""
    basket = open_basket(town)
    for title, quantity in quantities.items():
        assert put(town, basket, shop.offers[title], quantity).status_code == 200
    placed = check_out(town, basket, {shop.merchant_id: choice}, customer=COMPANY)
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    token = guest(placed.json()["order_link_token"])
    assert step(town, shop, order["order_id"], "accept").status_code == 200
    wait_for(town, order["order_id"], token, status="confirmed")
    paid = 0 if choice["payment"]["method"] == "invoice" else order["left_to_pay_cents"]
    handed = step(town, shop, order["order_id"], "handed-over", paid_cents=paid)
    assert handed.status_code == 200, handed.text
    body: dict[str, Any] = handed.json()
    return body, token


def _pay(town: RunningTown, shop: Shop, order_id: str, key: str, **payment: Any) -> httpx.Response:
    return httpx.post(
        f"{town['ordering'].api}/orders/{order_id}/payments",
        json={"received_by": "bank_transfer", **payment},
        headers={**shop.auth, "Idempotency-Key": key},
    )


def _invoices(town: RunningTown, shop: Shop, status: str) -> dict[str, dict[str, Any]]:
    listed = httpx.get(f"{town['ordering'].api}/merchants/me/invoices", params={"status": status}, headers=shop.auth)
    assert listed.status_code == 200, listed.text
    return {row["invoice_number"]: row for row in listed.json()}


def _sequence(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def test_a_bakery_invoice_at_7_and_19_percent_names_the_iban_and_leaves_the_open_invoices_once_paid(
    ordering_town: RunningTown,
) -> None:
    town = ordering_town
    shop = open_shop(town, "Bäckerei Korn", {}, tax_number="12/345/67890")
    _list(town, shop, "Roggenbrot", "5,35", 7)
    _list(town, shop, "Kaffeebecher", "11,90", 19)
    _with_bank_account(town, shop)

    order, token = _handed_over(town, shop, {"Roggenbrot": 2, "Kaffeebecher": 1}, _on_invoice())
    number, order_id = order["invoice_number"], order["order_id"]
    assert [line["vat_rate_percent"] for line in order["lines"]] == [7, 19]
    assert (order["left_to_pay_cents"], order["paid"]) == (2260, False)  # handed over, still owed
    pdf = httpx.get(f"{town['ordering'].api}/orders/{order_id}/invoice.pdf", headers=token)
    assert pdf.status_code == 200, pdf.text
    text = _text(pdf.content)
    for particular in ("7 %", "19 %", "0,70 €", "1,90 €", "DE89 3704 0044 0532 0130 00", "COBADEFFXXX", "Korn GbR"):
        assert particular in text, particular
    assert f"Verwendungszweck / Payment reference {number}" in text
    assert "Steuernummer / Tax number: 12/345/67890" in text
    wait_until(lambda: number in _invoices(town, shop, "open"), what="the invoice among the shop's open ones")
    assert _invoices(town, shop, "open")[number]["open_cents"] == 2260

    first_key = str(uuid.uuid4())
    part = _pay(town, shop, order_id, first_key, amount="12,60")
    assert part.status_code == 201, part.text
    assert (part.json()["left_to_pay_cents"], part.json()["paid"]) == (1000, False)
    again = _pay(town, shop, order_id, first_key, amount="12,60")  # a retry records nothing twice
    assert again.status_code == 200 and again.json()["left_to_pay_cents"] == 1000, again.text
    reused = _pay(town, shop, order_id, first_key, amount_cents=1000)
    assert reused.status_code == 422 and "another payment" in reused.json()["detail"], reused.text
    too_much = _pay(town, shop, order_id, str(uuid.uuid4()), amount_cents=1001)
    assert too_much.status_code == 422 and "left to pay" in too_much.json()["detail"], too_much.text
    rest = _pay(town, shop, order_id, str(uuid.uuid4()), amount_cents=1000)
    assert rest.status_code == 201 and (rest.json()["left_to_pay_cents"], rest.json()["paid"]) == (0, True), rest.text
    assert wait_for(town, order_id, token, paid=True)["left_to_pay_cents"] == 0

    wait_until(lambda: number not in _invoices(town, shop, "open"), what="the paid invoice leaving the open ones")
    paid = _invoices(town, shop, "paid")[number]
    assert (paid["status"], paid["open_cents"], paid["total_cents"], paid["customer_name"]) == (
        "paid",
        0,
        2260,
        "Firma Beispiel GmbH",
    )


def test_an_order_paid_at_pickup_has_a_receipt_for_its_customer_and_its_merchant(ordering_town: RunningTown) -> None:
    town = ordering_town
    shop = open_shop(town, "Buchladen Seite", {}, tax_number="DE123456789")
    _list(town, shop, "Stadtchronik", "24,00", 7)
    url = f"{town['ordering'].api}/orders/{{}}/receipt.pdf"

    basket = open_basket(town)
    assert put(town, basket, shop.offers["Stadtchronik"]).status_code == 200
    placed = check_out(town, basket, {shop.merchant_id: pickup()}, customer=COMPANY)
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    token = guest(placed.json()["order_link_token"])
    early = httpx.get(url.format(order["order_id"]), headers=token)
    assert early.status_code == 422, early.text  # not paid yet: no receipt

    assert step(town, shop, order["order_id"], "accept").status_code == 200
    wait_for(town, order["order_id"], token, status="confirmed")
    handed = step(town, shop, order["order_id"], "handed-over", paid_cents=2400)
    assert handed.status_code == 200 and handed.json()["paid"], handed.text
    for who in (token, shop.auth):
        receipt = httpx.get(url.format(order["order_id"]), headers=who)
        assert receipt.status_code == 200 and receipt.headers["content-type"] == "application/pdf", receipt.text
        text = _text(receipt.content)
        for particular in ("Quittung / Receipt", "Buchladen Seite", "Stadtchronik", "7 %", "24,00 €", "1,57 €"):
            assert particular in text, particular
    stranger = httpx.get(url.format(order["order_id"]))
    assert stranger.status_code in (401, 404), stranger.text


def test_a_cancellation_and_a_correction_take_the_next_numbers_and_the_invoice_never_changes(
    ordering_town: RunningTown,
) -> None:
    town = ordering_town
    shop = open_shop(town, "Hofladen Kamp", {}, tax_number="DE987654321")
    _list(town, shop, "Honig", "8,50", 7)
    api = town["ordering"].api

    first, token = _handed_over(town, shop, {"Honig": 1}, _on_invoice())
    original = httpx.get(f"{api}/orders/{first['order_id']}/invoice.pdf", headers=token)
    assert original.status_code == 200, original.text
    cancelling = {**shop.auth, "Idempotency-Key": str(uuid.uuid4())}
    for _ in range(2):  # a retry of the same request cancels nothing more
        cancelled = httpx.post(
            f"{api}/orders/{first['order_id']}/invoice/cancel",
            json={"reason": "Ware zurückgegeben"},
            headers=cancelling,
        )
        assert cancelled.status_code == 200, cancelled.text
        assert (cancelled.json()["invoice_cancelled"], cancelled.json()["left_to_pay_cents"]) == (True, 0)
    another = {**shop.auth, "Idempotency-Key": str(uuid.uuid4())}
    twice = httpx.post(f"{api}/orders/{first['order_id']}/invoice/cancel", json={}, headers=another)
    assert twice.status_code == 422 and "cancelled already" in twice.json()["detail"], twice.text
    storno_number = f"RE-{first['invoice_number'].split('-')[1]}-{_sequence(first['invoice_number']) + 1:05d}"

    wait_until(lambda: storno_number in _invoices(town, shop, "all"), what="the cancellation among the invoices")
    every = _invoices(town, shop, "all")
    assert every[storno_number]["kind"] == "cancellation" and every[storno_number]["total_cents"] == -850
    assert every[first["invoice_number"]]["status"] == "cancelled"
    assert first["invoice_number"] not in _invoices(town, shop, "open")
    storno = httpx.get(f"{api}/merchants/me/invoices/{storno_number}.pdf", headers=shop.auth)
    assert storno.status_code == 200, storno.text
    text = _text(storno.content)
    assert "Stornorechnung / Cancellation invoice" in text and first["invoice_number"] in text and "-8,50 €" in text
    unchanged = httpx.get(f"{api}/orders/{first['order_id']}/invoices/{first['invoice_number']}.pdf", headers=token)
    assert unchanged.status_code == 200 and unchanged.content == original.content

    second, _ = _handed_over(town, shop, {"Honig": 2}, _on_invoice())
    assert _sequence(second["invoice_number"]) == _sequence(storno_number) + 1
    office = {"street": "Am Hof 2", "postal_code": "48624", "city": "Schöppingen"}
    correction = {
        "reason": "Rechnung an die Zweigstelle",
        "buyer_name": "Beispiel GmbH Zweigstelle",
        "billing_address": office,
    }
    correcting = {**shop.auth, "Idempotency-Key": str(uuid.uuid4())}
    corrected = httpx.post(f"{api}/orders/{second['order_id']}/invoice/correct", json=correction, headers=correcting)
    assert corrected.status_code == 200, corrected.text
    new_number = corrected.json()["invoice_number"]
    retried = httpx.post(f"{api}/orders/{second['order_id']}/invoice/correct", json=correction, headers=correcting)
    assert retried.status_code == 200 and retried.json()["invoice_number"] == new_number, retried.text
    assert _sequence(new_number) == _sequence(second["invoice_number"]) + 2  # the cancellation took the one between
    assert (corrected.json()["invoice_cancelled"], corrected.json()["left_to_pay_cents"]) == (False, 1700)
    renewed = httpx.get(f"{api}/orders/{second['order_id']}/invoice.pdf", headers=shop.auth)
    assert renewed.status_code == 200 and "Beispiel GmbH Zweigstelle" in _text(renewed.content)
    wait_until(lambda: new_number in _invoices(town, shop, "open"), what="the corrected invoice among the open ones")
    numbers = sorted(_sequence(number) for number in _invoices(town, shop, "all"))
    assert numbers == list(range(numbers[0], numbers[0] + 5))  # five documents, no gap
