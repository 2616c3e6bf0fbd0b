# SPDX-License-Identifier: AGPL-3.0-or-later
"""Paying an order: partly by voucher (and the voucher made whole again when the order fails),
and on invoice with the merchant's gapless invoice numbers and a real PDF that never changes
once issued, only at shops the association approved that have a tax number."""

from __future__ import annotations

import io

import httpx
import pypdfium2

from tests.support.local_stack import RunningTown
from tests.support.ordering_client import (
    BILLING,
    Shop,
    approve_merchant,
    association,
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
from tests.support.vouchers_client import (
    authorize,
    balance,
    join,
    paid_vouchers,
    reverse,
    town_programme,
    voucher,
)


def _balance(town: RunningTown, code: str) -> int:
    answer = balance(town["vouchers"], code)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["balance_cents"])


def test_a_voucher_pays_part_and_is_made_whole_when_the_order_is_rejected(ordering_town: RunningTown) -> None:
    town = ordering_town
    shop = open_shop(town, "Spielwaren Kreisel", {"Kreisel": ("12,00", 1), "Murmeln": ("4,00", 10)})
    programme = town_programme(town)
    join(town, programme, shop.auth)
    ((voucher_id, code),) = paid_vouchers(town, programme, 2500, email="gift@example.de")
    authorization = authorize(town["vouchers"], code, 2000)
    assert authorization.status_code == 201, authorization.text
    authorization_id = authorization.json()["authorization_id"]

    basket = open_basket(town)
    assert put(town, basket, shop.offers["Murmeln"], 5).status_code == 200  # 20,00 €
    paid_partly = pickup(voucher_authorization_id=authorization_id, voucher_cents=1500)
    placed = check_out(town, basket, {shop.merchant_id: paid_partly})
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    customer = guest(placed.json()["order_link_token"])
    assert order["left_to_pay_cents"] == 500
    wait_for(town, order["order_id"], customer, voucher_redeemed=True, stock_reserved=True)
    assert _balance(town, code) == 1000
    # The order's redemption is the saga's to give back: over the counter it is refused (the
    # order would stay "paid by voucher" with the money back on the voucher).
    (redemption,) = voucher(town["vouchers"], shop.auth, voucher_id)["redemptions"]
    for by in (shop.auth, association(town)):
        refused = reverse(town["vouchers"], by, voucher_id, redemption["redemption_id"])
        assert refused.status_code == 422 and "cancel the order" in refused.json()["detail"], refused.text
    assert _balance(town, code) == 1000
    assert step(town, shop, order["order_id"], "accept").status_code == 200
    wait_for(town, order["order_id"], customer, status="confirmed")
    handed = step(town, shop, order["order_id"], "handed-over", paid_cents=500)
    assert handed.json()["status"] == "fulfilled", handed.text

    # An authorisation pays one checkout's orders only; another checkout asks for its own.
    reused = open_basket(town)
    assert put(town, reused, shop.offers["Murmeln"]).status_code == 200
    again = check_out(
        town, reused, {shop.merchant_id: pickup(voucher_authorization_id=authorization_id, voucher_cents=400)}
    )
    assert again.status_code == 201, again.text
    (refused,) = again.json()["orders"]
    ended = wait_for(town, refused["order_id"], guest(again.json()["order_link_token"]), status="rejected")
    assert ended["rejection_reason"] == "voucher_refused"
    assert _balance(town, code) == 1000

    # A second order whose last unit goes to a rival: rejected, and its voucher part given back.
    second_authorization = authorize(town["vouchers"], code, 500).json()["authorization_id"]
    rival, late = open_basket(town), open_basket(town)
    for basket in (rival, late):
        assert put(town, basket, shop.offers["Kreisel"]).status_code == 200
    assert check_out(town, rival, {shop.merchant_id: pickup()}).status_code == 201
    paid_by_voucher = pickup(voucher_authorization_id=second_authorization, voucher_cents=500)
    second = check_out(town, late, {shop.merchant_id: paid_by_voucher})
    if second.status_code == 201:  # the replica had not heard of the rival's reservation yet
        (lost,) = second.json()["orders"]
        ended = wait_for(town, lost["order_id"], guest(second.json()["order_link_token"]), status="rejected")
        assert ended["rejection_reason"] in ("out_of_stock", "voucher_refused")  # whichever answer came first
    else:
        assert second.status_code == 422, second.text
    wait_until(lambda: _balance(town, code) == 1000, what="the voucher getting back what the rejected order took")


def test_orders_on_invoice_get_the_merchants_next_numbers_and_a_pdf(ordering_town: RunningTown) -> None:
    town = ordering_town
    shop = open_shop(town, "Buchbinderei Falz", {"Notizbuch": ("19,00", 20)}, tax_number="DE123456789")
    numbers = []
    for n in range(2):
        basket = open_basket(town)
        assert put(town, basket, shop.offers["Notizbuch"], n + 1).status_code == 200
        customer = {"name": "Firma Beispiel GmbH", "email": f"einkauf{n}@beispiel.example", "billing_address": BILLING}
        placed = check_out(town, basket, {shop.merchant_id: invoice_pickup()}, customer=customer)
        assert placed.status_code == 201, placed.text
        (order,) = placed.json()["orders"]
        token = guest(placed.json()["order_link_token"])
        assert step(town, shop, order["order_id"], "accept").status_code == 200
        wait_for(town, order["order_id"], token, status="confirmed")
        handed = step(town, shop, order["order_id"], "handed-over", paid_cents=0)
        assert handed.status_code == 200, handed.text
        numbers.append(handed.json()["invoice_number"])
        pdf = httpx.get(f"{town['ordering'].api}/orders/{order['order_id']}/invoice.pdf", headers=token)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = "".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(io.BytesIO(pdf.content)))
        assert numbers[-1] in text and "DE123456789" in text and "Firma Beispiel GmbH" in text
    first, second = (int(number.rsplit("-", 1)[1]) for number in numbers)
    assert second == first + 1, numbers


def invoice_pickup() -> dict[str, object]:
    return {**pickup(), "payment": {"method": "invoice"}}


def _handed_over_on_invoice(
    town: RunningTown, shop: Shop, offer: str, customer: dict[str, object]
) -> tuple[str, dict[str, str]]:
    """An order on invoice, accepted and handed over: its invoice issued. Its id and the guest's headers."""
    basket = open_basket(town)
    assert put(town, basket, shop.offers[offer]).status_code == 200
    placed = check_out(town, basket, {shop.merchant_id: invoice_pickup()}, customer=customer)
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    token = guest(placed.json()["order_link_token"])
    assert step(town, shop, order["order_id"], "accept").status_code == 200
    wait_for(town, order["order_id"], token, status="confirmed")
    handed = step(town, shop, order["order_id"], "handed-over", paid_cents=0)
    assert handed.status_code == 200 and handed.json()["invoice_number"], handed.text
    return order["order_id"], token


def _text(pdf: bytes) -> str:
    return " ".join(
        " ".join(str(page.get_textpage().get_text_range()).split()) for page in pypdfium2.PdfDocument(io.BytesIO(pdf))
    )


def test_an_issued_invoice_is_the_same_pdf_whatever_the_shop_changes_later(ordering_town: RunningTown) -> None:
    town = ordering_town
    shop = open_shop(town, "Papeterie Tinte", {"Füllhalter": ("24,00", 5)}, tax_number="DE123456789")
    buyer = {"name": "Иван Петров 王小明", "email": "ivan@beispiel.example", "billing_address": BILLING}
    order_id, token = _handed_over_on_invoice(town, shop, "Füllhalter", buyer)
    url = f"{town['ordering'].api}/orders/{order_id}/invoice.pdf"
    issued = httpx.get(url, headers=token)
    assert issued.status_code == 200, issued.text
    text = _text(issued.content)
    for particular in ("Papeterie Tinte", "DE123456789", "Hauptstraße 12", "Иван Петров 王小明", "Füllhalter"):
        assert particular in text, particular

    moved = {"street": "Neuer Markt 7", "postal_code": "48624", "city": "Schöppingen"}
    change_profile(town, shop, name="Tinte & Feder GmbH", address=moved, tax_number="12/345/67890")
    again = httpx.get(url, headers=token)
    assert again.status_code == 200 and again.content == issued.content
    change_profile(town, shop, tax_number="")  # the shop removes its tax number altogether
    without = httpx.get(url, headers=token)
    assert without.status_code == 200 and without.content == issued.content

    # A new order on invoice is refused there now, naming the shop; other ways to pay stay open.
    basket = open_basket(town)
    assert put(town, basket, shop.offers["Füllhalter"]).status_code == 200
    refused = check_out(town, basket, {shop.merchant_id: invoice_pickup()}, customer=buyer)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("Tinte & Feder GmbH takes no orders on invoice"), refused.text
    assert check_out(town, basket, {shop.merchant_id: pickup()}, customer=buyer).status_code == 201


def _replica_approved(town: RunningTown, shop: Shop) -> bool:
    rows = town_rows(town, "SELECT approved FROM ordering_merchants WHERE merchant_id = %s", (shop.merchant_id,))
    return bool(rows and rows[0]["approved"])


def test_only_a_shop_the_association_approved_takes_orders_on_invoice(ordering_town: RunningTown) -> None:
    town = ordering_town
    shop = open_shop(town, "Neuer Laden", {"Kerze": ("6,00", 10)}, tax_number="DE987654321", approved=False)
    customer = {"name": "Firma Beispiel GmbH", "email": "einkauf@beispiel.example", "billing_address": BILLING}

    def on_invoice() -> httpx.Response:
        basket = open_basket(town)
        assert put(town, basket, shop.offers["Kerze"]).status_code == 200
        return check_out(town, basket, {shop.merchant_id: invoice_pickup()}, customer=customer)

    refused = on_invoice()
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"] == (
        "Neuer Laden takes no orders on invoice: the town's association has not approved it for payments; "
        "choose another way to pay"
    )
    approve_merchant(town, shop.merchant_id)
    wait_until(lambda: _replica_approved(town, shop), what="ordering hearing of the approval")
    assert on_invoice().status_code == 201
    withdrawn = httpx.request(
        "DELETE",
        f"{town['catalog'].api}/merchants/{shop.merchant_id}/approval",
        json={"reason": "Kassenprüfung offen"},
        headers=association(town),
    )
    assert withdrawn.status_code == 200, withdrawn.text
    wait_until(lambda: not _replica_approved(town, shop), what="ordering hearing of the withdrawal")
    assert on_invoice().status_code == 422
