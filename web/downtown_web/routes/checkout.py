# SPDX-License-Identifier: AGPL-3.0-or-later
"""The checkout of the visitor's basket: how each shop's order is fulfilled and paid, and who orders.

Checkout sends each shop's choice (pickup or delivery, how to pay) with a fresh
``Idempotency-Key`` carried in the form, so a checkout sent twice (a reload, a dropped
connection) places the orders once. Refusals come back next to the field concerned.

Where the town's couriers deliver on dispatch's terms, the shops that deliver come together in
one trip, in one slot: the form offers the slots of ordering's basket quote (with the fee in
each) once for all of them, and ordering decides whether the one chosen can still be booked.

A town voucher may pay part or all of the orders: the front authorises at vouchers what it
will take (``POST /authorizations``, under a key derived from the form's, so the same form
sent again authorises once), splits that over the orders of the shops that take the voucher,
and sends each order's part with the authorisation's id; the rest is paid as chosen per shop.

A form sent again after its checkout went through (the first answer lost, a double click)
still carries the basket's cookie: it goes to ordering anyway, which answers the same orders
for the same key, and the thank-you page shows them again rather than an empty basket. Sent
again once the basket's cookie is gone (back, then send), it lands on the thank-you page the
``placed`` cookie remembers for that key.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from downtown_web.pages import Page, PageOf
from downtown_web.problems import Said, Translate
from downtown_web.routes.basket import booked_of, by_video, open_basket, quoted_lines, shops_of
from downtown_web.routes.forms import checked
from downtown_web.routes.orders import shown
from downtown_web.routes.vouchers import cents_of
from downtown_web.services import ServiceProblem
from downtown_web.visitor import basket_of, forget_basket, keep_placed, placed_of
from downtown_web.words import N_

router = APIRouter()

FULFILMENTS = ("pickup", "delivery")
PAYMENTS = {"pickup": ("at_pickup", "invoice"), "delivery": ("invoice", "cash_at_door", "card_at_door")}
_KEY = re.compile(r"^[A-Za-z0-9_\-]{8,100}$")
"""An Idempotency-Key as this front's forms write it (a uuid); anything else is not a resend."""
SLOT_FIELD = "delivery_slot"
_SLOT_ID = re.compile(r"[a-z_]+:[0-9]{8}T[0-9]{4}Z")
"""A delivery slot's id as ordering's quote lists it (and its checkout takes it)."""
SLOT_REFUSED = N_("This delivery slot can no longer be booked. Please choose another one.")

VOUCHER_FIELD = "voucher_code"
MOST_FIELD = "voucher_most"
UNKNOWN_CODE = N_("No voucher has this code. Please check it and try again.")
TOO_MANY_TRIES = N_("Too many tries. Please wait a little and try again.")
EXPIRED = N_("This voucher has expired.")
EMPTY = N_("This voucher holds nothing any more.")
OTHER_SHOP = N_("This voucher is for another shop; none of the shops of your basket takes it.")
NO_TAKER = N_("None of the shops of your basket takes the town's vouchers. Please pay otherwise.")
NOT_NOW = N_("This voucher cannot pay right now. Please try again in a minute, or pay otherwise.")
MOST = N_("Please enter an amount in euros, like 25 or 25,50, or leave it empty.")


@dataclass(frozen=True)
class VoucherPart:
    """What the voucher pays: the authorisation ordering is given, and each order's part."""

    authorization_id: str
    parts: dict[str, int] = field(default_factory=dict)


class VoucherRefused(Exception):
    """The voucher cannot pay (unknown code, expired, no shop takes it): said beside its field."""

    def __init__(self, message: str, name: str = VOUCHER_FIELD) -> None:
        super().__init__(message)
        self.message = message
        self.name = name


@dataclass(frozen=True)
class DeliverySlot:
    """A slot the town's couriers offer for the basket's one delivery, as the form shows it."""

    slot_id: str
    starts_at: datetime
    ends_at: datetime
    town_round: bool
    fee_cents: int | None
    """What the delivery costs in it; None: not known before the door's pin is set."""


def delivery_slots(quote: Mapping[str, Any]) -> list[DeliverySlot]:
    """The delivery slots of ordering's basket quote, earliest first (its order); none when the
    shops' own delivery counts (the town has no couriers on dispatch's terms)."""
    courier = quote.get("courier") or {}
    return [
        DeliverySlot(
            slot["slot_id"],
            datetime.fromisoformat(slot["starts_at"]),
            datetime.fromisoformat(slot["ends_at"]),
            bool(slot["town_round"]),
            slot["fee_cents"],
        )
        for slot in courier.get("slots") or []
    ]


def slot_on_the_form(said: Said, translate: Translate) -> Said:
    """A refusal of the delivery slot under the form's one slot field: ordering names it
    ``delivery_slot`` (a slot it cannot book now: passed, too soon to pack, no longer offered)
    or by its place in the request (``merchants.<id>.fulfilment.delivery.delivery_slot.slot_id``);
    the form has one group of slots for all the shops, since they deliver together."""
    fields = {name: message for name, message in said.fields.items() if SLOT_FIELD not in name.split(".")}
    if len(fields) < len(said.fields):
        fields[SLOT_FIELD] = translate(SLOT_REFUSED)
    return Said(said.message, fields)


def split_voucher(amount_cents: int, totals: Mapping[str, int]) -> dict[str, int]:
    """``amount_cents`` of a voucher over the orders that take it (``totals``: each order's
    amount the voucher may pay, in the basket's order): each order in turn takes what it
    costs until the voucher's part is spent, so as few orders as possible are left with a
    rest to pay. Orders taking nothing are left out (ordering wants a part above nothing)."""
    parts: dict[str, int] = {}
    left = max(amount_cents, 0)
    for merchant_id, total in totals.items():
        part = min(left, max(total, 0))
        if part > 0:
            parts[merchant_id] = part
            left -= part
    return parts


def voucher_wanted(most_cents: int | None, totals: Mapping[str, int]) -> int:
    """What the customer wants the voucher to pay: everything it may pay, or at most what they said."""
    payable = sum(max(total, 0) for total in totals.values())
    return payable if most_cents is None else min(most_cents, payable)


def goods_by_shop(lines: list[dict[str, Any]]) -> dict[str, int]:
    """Each shop's goods in cents, in the basket's order: what a voucher may pay of its order
    (a delivery fee is paid with the rest, as it is known only once ordering decided it)."""
    goods: dict[str, int] = {}
    for line in lines:
        goods[line["merchant_id"]] = goods.get(line["merchant_id"], 0) + line["quantity"] * line["unit_price_cents"]
    return goods


def authorised_before(wanted_cents: int, voucher: Mapping[str, Any]) -> list[int]:
    """The amounts the first sending of a form may have authorised, most likely first: what
    was wanted (the voucher held that much), what the voucher holds now (its orders' parts
    not redeemed yet), or all it was worth (a voucher first spent by these orders). Its
    balance then is known nowhere else; a voucher spent before and then used up by these
    orders is the one case none of these finds."""
    candidates = [wanted_cents, min(wanted_cents, voucher["value_cents"]), voucher["balance_cents"]]
    return [amount for amount in dict.fromkeys(candidates) if 0 < amount <= wanted_cents]


def voucher_key(form_key: str, code: str, amount_cents: int) -> str:
    """The authorisation's Idempotency-Key: the same form, code and amount authorise once; a
    code or amount changed after a refusal is another authorisation, not a reused key."""
    typed = hashlib.sha256(re.sub(r"[\s-]", "", code).upper().encode()).hexdigest()[:16]
    return f"checkout:{form_key}:{typed}:{amount_cents}"


@router.get("/checkout", summary="How each shop's order is fulfilled and paid, and who orders")
async def checkout_form(page: PageOf) -> Response:
    return await _checkout_page(page, {}, None)


@router.post("/checkout", summary="Place the orders")
async def check_out(page: PageOf, request: Request) -> Response:
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    checked(request, values.get("csrf"))
    basket = basket_of(request)
    key = values.get("idempotency_key", "")
    key = key if _KEY.match(key) else ""
    current = await open_basket(page, basket, checked_out_too=True)
    if basket is None or current is None or not current["lines"] or (current["checked_out"] and not key):
        landed = placed_of(request, key) if key else None  # sent again once the basket was forgotten
        where = f"/placed?orders={landed[0]}&token={landed[1]}" if landed else "/basket"
        return RedirectResponse(where, status_code=303)
    resend = bool(current["checked_out"])
    try:
        voucher = await _voucher_part(page, values, current, key or str(uuid.uuid4()), resend=resend)
    except VoucherRefused as refused:
        said = Said(page._(N_("Please check the marked entries.")), {refused.name: page._(refused.message)})
        return await _checkout_page(page, values, None, said=said, status_code=422)
    body = _checkout_body(values, {line["merchant_id"] for line in current["lines"]}, page.language, voucher)
    try:
        placed = await page.services.ordering.call(
            "POST",
            f"/baskets/{basket.basket_id}/checkout",
            language=page.language,
            headers={**basket.headers, "Idempotency-Key": key or str(uuid.uuid4())},
            json=body,
            timeout=30,
        )
    except ServiceProblem as problem:
        if resend:  # the first checkout went through, and this one is not its repeat
            return RedirectResponse("/basket", status_code=303)
        return await _checkout_page(page, values, problem, status_code=problem.status)
    token = placed["order_link_token"]
    if token is None:  # a repeat: ordering gives the orders' link token once, so they are shown here
        response = await _placed_again(page, placed["orders"])
    else:
        orders = ",".join(order["order_id"] for order in placed["orders"])
        response = RedirectResponse(f"/placed?orders={orders}&token={token}", status_code=303)
        if key:
            keep_placed(response, key, orders, token, secure=page.settings.secure_cookies)
    forget_basket(response)
    return response


async def _placed_again(page: Page, orders: list[dict[str, Any]]) -> Response:
    """The thank-you page of a repeated checkout, from ordering's answer: the same orders, and
    where their links are (the mail; ordering hands the link's token out once)."""
    found = await asyncio.gather(*(shown(page, order) for order in orders))
    return page.render("placed.html", orders=found, token=None)


async def _voucher_part(
    page: Page, values: dict[str, str], basket: dict[str, Any], key: str, *, resend: bool
) -> VoucherPart | None:
    """The voucher's part of the orders, authorised at vouchers; None without a code.

    The amount is what the customer wants it to pay if the voucher holds that much, else all
    it holds. A resent form asks again under the same key and amount, and vouchers answers
    the first authorisation (see :func:`authorised_before`)."""
    code = values.get(VOUCHER_FIELD, "").strip()
    if not code:
        return None
    typed_most = values.get(MOST_FIELD, "").strip()
    most = cents_of(typed_most) if typed_most else None
    if typed_most and not most:
        raise VoucherRefused(MOST, MOST_FIELD)
    voucher = await _voucher_call(page, "/balance-lookups", {"code": code})
    if voucher["expired"]:
        raise VoucherRefused(EXPIRED)
    goods = goods_by_shop(basket["lines"])
    taking = await _takers(page, voucher, goods)
    takers = {merchant_id: cents for merchant_id, cents in goods.items() if merchant_id in taking}
    if not takers:
        raise VoucherRefused(OTHER_SHOP if voucher["kind"] == "merchant" else NO_TAKER)
    wanted = voucher_wanted(most, takers)
    amounts = authorised_before(wanted, voucher) if resend else [min(wanted, voucher["balance_cents"])]
    amounts = [amount for amount in amounts if amount > 0]
    if not amounts:
        raise VoucherRefused(EMPTY)
    for tried, amount in enumerate(amounts, 1):
        try:
            authorized = await _voucher_call(
                page,
                "/authorizations",
                {"code": code, "amount_cents": amount},
                {"Idempotency-Key": voucher_key(key, code, amount)},
            )
        except VoucherRefused:
            if tried == len(amounts):
                raise
            continue
        return VoucherPart(str(authorized["authorization_id"]), split_voucher(authorized["amount_cents"], takers))
    raise VoucherRefused(EMPTY)


async def _takers(page: Page, voucher: dict[str, Any], goods: Mapping[str, int]) -> set[str]:
    """The basket's shops where the voucher pays: a merchant voucher at its own shop, a town
    voucher at the members of its programme (asked of vouchers, side by side)."""
    if voucher["kind"] == "merchant":
        return {str(voucher["merchant_id"])} & set(goods)
    merchant_ids = list(goods)
    members = await asyncio.gather(
        *(
            page.services.vouchers.call(
                "GET", f"/programmes/{voucher['programme_id']}/members/{merchant_id}", language=page.language
            )
            for merchant_id in merchant_ids
        )
    )
    return {merchant_id for merchant_id, member in zip(merchant_ids, members, strict=True) if member["accepts"]}


async def _voucher_call(
    page: Page, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """A call to vouchers whose refusals are the voucher field's, in words."""
    try:
        answer: dict[str, Any] = await page.services.vouchers.call(
            "POST", path, language=page.language, json=body, headers=headers
        )
    except ServiceProblem as problem:
        if problem.status == 404:
            raise VoucherRefused(UNKNOWN_CODE) from None
        if problem.status == 429:
            raise VoucherRefused(TOO_MANY_TRIES) from None
        if problem.status in (409, 422):
            raise VoucherRefused(EMPTY if "balance" in problem.detail else NOT_NOW) from None
        raise
    return answer


async def _checkout_page(
    page: Page,
    values: dict[str, str],
    problem: ServiceProblem | None,
    *,
    said: Said | None = None,
    status_code: int = 200,
) -> Response:
    basket = await open_basket(page, basket_of(page.request))
    if basket is None or not basket["lines"]:
        return RedirectResponse("/basket", status_code=303)
    shops, quote, video = await asyncio.gather(
        shops_of(page, basket["lines"]),
        page.services.ordering.call(
            "GET", f"/baskets/{basket['basket_id']}/quote", language=page.language, headers=basket_headers(page)
        ),
        by_video(page, basket["lines"]),
    )
    said = slot_on_the_form(page.refusal(problem), page._) if problem else said
    return page.render(
        "checkout.html",
        status_code=status_code if status_code >= 400 else 200,
        basket=basket,
        shops=shops,
        lines={
            merchant_id: [line for line in basket["lines"] if line["merchant_id"] == merchant_id]
            for merchant_id in shops
        },
        booked=booked_of(basket["lines"], quoted_lines(quote), video),
        delivery_slots=delivery_slots(quote),
        windows={shop["merchant_id"]: _windows(shop["pickup"]["windows"]) for shop in quote["shops"]},
        warnings=[warning["text"] for warning in quote["warnings"] if warning.get("text")],
        values=values,
        said=said,
        payments=PAYMENTS,
        idempotency_key=values.get("idempotency_key") or str(uuid.uuid4()),
    )


def basket_headers(page: Page) -> dict[str, str]:
    basket = basket_of(page.request)
    return basket.headers if basket else {}


def _windows(windows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The shop's pickup windows as the form offers them: a value to send back, and the times."""
    return [
        {
            "value": f"{window['starts_at']}|{window['ends_at']}",
            "starts_at": datetime.fromisoformat(window["starts_at"]),
            "ends_at": datetime.fromisoformat(window["ends_at"]),
        }
        for window in windows
    ]


def _checkout_body(
    values: dict[str, str], merchants: set[str], language: str, voucher: VoucherPart | None = None
) -> dict[str, Any]:
    """Ordering's checkout request from the form's fields (``<merchant>.fulfilment``, …) and
    the voucher's part of each order (the rest is paid by the method chosen for the shop;
    ordering makes an order the voucher pays whole a voucher payment). The delivery slot
    chosen (``delivery_slot``, one for all, as the town's couriers deliver the shops together)
    goes with every delivery; none chosen, or not a slot's id, ordering takes the next."""
    customer: dict[str, Any] = {
        "name": values.get("name", ""),
        "email": values.get("email") or None,
        "phone": values.get("phone", ""),
        "language": language,
    }
    address = {
        "street": values.get("street", ""),
        "postal_code": values.get("postal_code", ""),
        "city": values.get("city", ""),
    }
    slot_id = values.get(SLOT_FIELD, "")
    choices: dict[str, Any] = {}
    for merchant_id in sorted(merchants):
        method = values.get(f"{merchant_id}.fulfilment", "pickup")
        method = method if method in FULFILMENTS else "pickup"
        payment = values.get(f"{merchant_id}.payment", PAYMENTS[method][0])
        payment = payment if payment in PAYMENTS[method] else PAYMENTS[method][0]
        fulfilment: dict[str, Any] = {"method": method}
        if method == "delivery":
            fulfilment["address"] = address
            if _SLOT_ID.fullmatch(slot_id):
                fulfilment["delivery_slot"] = {"slot_id": slot_id}
        elif "|" in values.get(f"{merchant_id}.window", ""):
            starts_at, ends_at = values[f"{merchant_id}.window"].split("|", 1)
            fulfilment["window"] = {"starts_at": starts_at, "ends_at": ends_at}
        if payment == "invoice":
            customer["billing_address"] = address
        paying: dict[str, Any] = {"method": payment}
        if voucher is not None and voucher.parts.get(merchant_id):
            paying |= {
                "voucher_authorization_id": voucher.authorization_id,
                "voucher_cents": voucher.parts[merchant_id],
            }
        choices[merchant_id] = {"fulfilment": fulfilment, "payment": paying}
    return {"customer": customer, "merchants": choices}
