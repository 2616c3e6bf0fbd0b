# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's phone pages: signing in by e-mailed link, today's orders with one button per
step, today's note for customers, and "photo → price → online".

The catalog mails ``/merchant/sign-in?merchant=…&token=…``, signed in as a customer is
(:mod:`downtown_web.routes.sign_in`). The merchant's token the catalog gives for it stays in an
HttpOnly cookie and is never shown; the catalog, ordering and vouchers all take it.

An order's step is a form of its own. Ordering's step routes take no ``Idempotency-Key``: a
step is decided on the order's stream and a step done again decides nothing, so a form sent
twice (a reload, a dropped connection) changes the order once. A new offer carries a key in
its form, because listing twice would list two offers: the catalog answers a repeat with the
first one.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import RedirectResponse

from downtown_events.runtime.http.body_limit import RouteLimit
from downtown_web.pages import Page, PageOf, body_refusal
from downtown_web.problems import Said, Translate, words_for
from downtown_web.routes.forms import checked
from downtown_web.routes.sign_in import LinkSignIn, add_sign_in, add_sign_out
from downtown_web.services import ServiceProblem
from downtown_web.slots import BookedTime, Slot
from downtown_web.visitor import MERCHANT, merchant_of
from downtown_web.words import N_

router = APIRouter(prefix="/merchant")

PHOTO_BYTES = 15 * 1024 * 1024
"""The catalog's largest photo (its ``max_photo_bytes``' default)."""
PHOTO_TOO_LARGE = N_("The photo is too large: at most %(megabytes)s MB. Take it again at a lower resolution.")


async def _photo_too_large(page: Page, limit: RouteLimit) -> Response:
    """The form again when its photo is past the limit (a phone's camera at full resolution
    without the page's script, which scales it down): saying so beside the photo, in the
    merchant's words, in place of the kit's problem for machines."""
    message = page._(PHOTO_TOO_LARGE) % {"megabytes": PHOTO_BYTES // (1024 * 1024)}
    return _offer_form(page, {}, Said(message, {"photo": message}), status_code=413)


BODY_LIMITS = (
    RouteLimit(
        "POST",
        "/merchant/offers",
        PHOTO_BYTES + 64 * 1024,
        "photos larger than that should be resized first",
        too_large=body_refusal(_photo_too_large),
    ),
)
"""The new offer's form carries a photo: as large as the catalog takes one, plus the form."""

Step = Literal["accept", "decline", "packed", "ready", "handed-over"]
STEP_WORDS: dict[str, str] = {
    "accept": N_("Accept"),
    "decline": N_("Decline"),
    "packed": N_("Packed"),
    "ready": N_("Ready for pickup"),
    "handed-over": N_("Handed over"),
}
MERCHANT_STATUSES = {
    "placed": N_("new: please answer"),
    "accepted": N_("accepted, being confirmed"),
    "confirmed": N_("confirmed: to pack"),
    "packed": N_("packed"),
    "ready_for_pickup": N_("ready for pickup"),
    "out_for_delivery": N_("on its way"),
}
"""An open order's status as the shop reads it."""
PRICE_WORDS = N_("Please enter the price in euros, for example 12,50.")
OFFER_FIELDS = {
    "photo": N_("Please take or choose a photo (JPEG, PNG, WebP or HEIC)."),
    "price": PRICE_WORDS,
    "title": N_("Please enter a shorter title."),
    "description": N_("Please enter a shorter description."),
}
NOTE_WORDS = N_("Please write one line of at most 200 characters.")
NOTE_FORM = "availability-note"
"""The note's form on the orders page: where its refusal is shown."""
SHOWN_ORDERS = 50
STOREFRONT_PATIENCE = 25
"""Times (every 0.2 s) a new offer's page waits for the storefront to list it."""


def steps_for(order: dict[str, Any]) -> list[str]:
    """The steps the shop may take next on an open order, as its list row says it.

    Only what the page offers: a delivery goes on from ``packed`` with the town's couriers
    (or the shop's own delivery, not on this page yet)."""
    status = order.get("status")
    if status == "placed":
        return [] if order.get("accepted") else ["accept", "decline"]
    if order.get("fulfilment") != "pickup":
        return ["packed"] if status == "confirmed" else []
    return {
        "confirmed": ["packed", "ready"],
        "packed": ["ready", "handed-over"],
        "ready_for_pickup": ["handed-over"],
    }.get(str(status), [])


def due_at_pickup(order: dict[str, Any]) -> int:
    """What the customer pays when collecting it: what is left, when paid at the shop, else 0
    (ordering refuses any other amount)."""
    if order.get("payment_method") != "at_pickup":
        return 0
    left = order.get("left_to_pay_cents")
    return int(left) if left is not None else int(order["total_cents"]) - int(order.get("voucher_cents") or 0)


# --- signing in --------------------------------------------------------------------------


SIGN_IN = LinkSignIn(
    pages="/merchant",
    service=lambda services: services.catalog,
    at="/merchants",
    field="merchant",
    bearer=MERCHANT,
    template="merchant_sign_in.html",
    home="/merchant",
)
add_sign_in(router, SIGN_IN)
add_sign_out(router, SIGN_IN)


# --- the orders --------------------------------------------------------------------------


@router.get("", summary="The shop's orders to act on")
async def orders_page(page: PageOf) -> Response:
    return await _orders_page(page)


async def _orders_page(
    page: Page,
    *,
    refused: str | None = None,
    said: Said | None = None,
    status_code: int = 200,
    typed_note: str | None = None,
) -> Response:
    auth = merchant_of(page.request)
    if auth is None:
        return SIGN_IN.signed_out()
    try:
        shop, to_accept, open_ = await asyncio.gather(
            page.services.catalog.call("GET", "/merchants/me", language=page.language, headers=auth),
            _orders(page, auth, "to_accept"),
            _orders(page, auth, "open"),
        )
    except ServiceProblem as problem:
        if problem.status == 401:
            return SIGN_IN.signed_out()
        raise
    waiting = {order["order_id"] for order in to_accept}
    others = [order for order in open_ if order["order_id"] not in waiting]
    noted = shop.get("availability_note")  # the last note and the town's day it is shown on
    return page.render(
        "merchant_orders.html",
        status_code=status_code,
        shop=shop,
        noted=noted,
        note_day=date.fromisoformat(noted["for_day"]) if noted else None,
        typed_note=typed_note,
        to_accept=to_accept,
        others=others,
        refused=refused,
        said=said,
        step_words={step: page._(words) for step, words in STEP_WORDS.items()},
        merchant_statuses={status: page._(words) for status, words in MERCHANT_STATUSES.items()},
    )


async def _orders(page: Page, auth: dict[str, str], view: str) -> list[dict[str, Any]]:
    """The list's rows with each order's lines (the list has none), and the steps it may take."""
    rows: list[dict[str, Any]] = await page.services.ordering.call(
        "GET", "/orders", language=page.language, headers=auth, params={"view": view, "limit": SHOWN_ORDERS}
    )
    details = await asyncio.gather(
        *(
            page.services.ordering.call("GET", f"/orders/{row['order_id']}", language=page.language, headers=auth)
            for row in rows
        )
    )
    orders = []
    for row, detail in zip(rows, details, strict=True):
        status = "accepted" if row["status"] == "placed" and row["accepted"] else row["status"]
        orders.append(
            {
                **row,
                "shown_status": status,
                "lines": shown_lines(detail.get("lines", [])),
                "delivery_slot": Slot.of(detail["delivery_slot"]) if detail.get("delivery_slot") else None,
                "placed_at": datetime.fromisoformat(row["placed_at"]),
                "answer_by": datetime.fromisoformat(row["answer_by"]),
                "pickup_starts_at": datetime.fromisoformat(row["pickup_starts_at"])
                if row["pickup_starts_at"]
                else None,
                "steps": steps_for(row),
                "due_cents": due_at_pickup(row),
            }
        )
    return orders


def shown_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An order's lines as the shop reads them: a service's with its booked time (and whether
    it is held by video), as the basket showed it to the customer."""
    return [
        {**line, "booked": BookedTime.of(line, None, video=line.get("held") == "video") if line.get("slot") else None}
        for line in lines
    ]


@router.post("/orders/{order_id}/{step}", summary="Take a step on an order")
async def take_step(
    page: PageOf,
    order_id: UUID,
    step: Step,
    csrf: Annotated[str | None, Form()] = None,
    reason: Annotated[str, Form(max_length=500)] = "",
    paid_cents: Annotated[int, Form(ge=0, le=100_000_000)] = 0,
) -> Response:
    checked(page.request, csrf)
    auth = merchant_of(page.request)
    if auth is None:
        return SIGN_IN.signed_out()
    body: dict[str, Any] | None = None
    if step == "decline":
        if not reason.strip():
            said = Said(page._("Please say why: the customer reads it."))
            return await _orders_page(page, refused=str(order_id), said=said, status_code=422)
        body = {"reason": reason.strip()}
    elif step == "handed-over":
        body = {"paid_cents": paid_cents}
    try:
        await page.services.ordering.call(
            "POST", f"/orders/{order_id}/{step}", language=page.language, headers=auth, json=body
        )
    except ServiceProblem as problem:
        if problem.status == 401:
            return SIGN_IN.signed_out()
        return await _orders_page(page, refused=str(order_id), said=page.refusal(problem), status_code=problem.status)
    return RedirectResponse(f"/merchant#order-{order_id}", status_code=303)


# --- today's note for customers ------------------------------------------------------------


@router.post("/availability-note", summary="Show customers a note beside the shop today")
async def note_availability(
    page: PageOf, note: Annotated[str, Form(max_length=1000)] = "", csrf: Annotated[str | None, Form()] = None
) -> Response:
    """The catalog decides what a note may be and which day is today (the town's); a note
    sent twice is noted once."""
    return await _change_note(page, csrf, "PUT", {"note": note}, note)


@router.post("/availability-note/clear", summary="Take today's note back")
async def clear_availability_note(page: PageOf, csrf: Annotated[str | None, Form()] = None) -> Response:
    return await _change_note(page, csrf, "DELETE", None, None)


async def _change_note(
    page: Page, csrf: str | None, method: str, body: dict[str, str] | None, typed: str | None
) -> Response:
    checked(page.request, csrf)
    auth = merchant_of(page.request)
    if auth is None:
        return SIGN_IN.signed_out()
    try:
        await page.services.catalog.call(
            method, "/merchants/me/availability-note", language=page.language, headers=auth, json=body
        )
    except ServiceProblem as problem:
        if problem.status == 401:
            return SIGN_IN.signed_out()
        said = Said(page._(NOTE_WORDS)) if problem.status == 422 else page.refusal(problem)
        return await _orders_page(page, refused=NOTE_FORM, said=said, status_code=problem.status, typed_note=typed)
    return RedirectResponse(f"/merchant#{NOTE_FORM}", status_code=303)


# --- photo → price → online --------------------------------------------------------------


@router.get("/offers/new", summary="List a product: a photo, a price, online")
async def new_offer(page: PageOf) -> Response:
    if merchant_of(page.request) is None:
        return SIGN_IN.signed_out()
    return _offer_form(page, {}, None)


def _offer_form(page: Page, values: dict[str, str], said: Said | None, *, status_code: int = 200) -> Response:
    return page.render(
        "merchant_offer.html",
        status_code=status_code,
        values=values,
        said=said,
        idempotency_key=values.get("idempotency_key") or str(uuid.uuid4()),
    )


@router.post("/offers", summary="List the product at the catalog and show its page")
async def list_offer(
    page: PageOf,
    photo: Annotated[UploadFile, File()],
    price: Annotated[str, Form(max_length=30)],
    title: Annotated[str, Form(max_length=120)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    idempotency_key: Annotated[str, Form(max_length=100)] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    checked(page.request, csrf)
    auth = merchant_of(page.request)
    if auth is None:
        return SIGN_IN.signed_out()
    values = {"price": price, "title": title, "description": description, "idempotency_key": idempotency_key}
    data = await photo.read()  # at most the route's body limit
    if not data:
        return _offer_form(
            page, values, offer_refusal(ServiceProblem(422, "", "", [{"field": "photo"}]), page._), status_code=422
        )
    try:
        offer = await page.services.catalog.call(
            "POST",
            "/offers/products",
            language=page.language,
            headers={**auth, "Idempotency-Key": idempotency_key or str(uuid.uuid4())},
            data={"price": price, "title": title, "description": description},
            files={"photo": (photo.filename or "photo.jpg", data, photo.content_type or "application/octet-stream")},
            timeout=60,
        )
    except ServiceProblem as problem:
        if problem.status == 401:
            return SIGN_IN.signed_out()
        return _offer_form(page, values, offer_refusal(problem, page._), status_code=problem.status)
    await _listed_in_the_storefront(page, offer["offer_id"])
    return RedirectResponse(f"/offers/{offer['offer_id']}", status_code=303)


async def _listed_in_the_storefront(page: Page, offer_id: str) -> None:
    """Wait a moment for the storefront's side of the catalog (its read model, a moment
    behind the listing) to show the offer, so the page the merchant lands on is not a 404."""
    for _ in range(STOREFRONT_PATIENCE):
        try:
            await page.services.catalog.call("GET", f"/catalog/{offer_id}", language=page.language)
            return
        except ServiceProblem as problem:
            if problem.status != 404:
                return  # the offer page says what is wrong
        await asyncio.sleep(0.2)


def offer_refusal(problem: ServiceProblem, _: Translate) -> Said:
    """The catalog's refusal of a new offer, beside the photo, the price or the title."""
    said = words_for(problem, _)
    fields = {}
    for error in problem.errors:
        name = error.get("field", "").rsplit(".", 1)[-1]
        if name in OFFER_FIELDS:
            fields[name] = _(OFFER_FIELDS[name])
    if not fields and problem.status == 422 and "price" in problem.detail:
        fields["price"] = _(PRICE_WORDS)
    if problem.status == 413:
        fields["photo"] = said.message
    if fields:
        return Said(_("Please check the marked entries."), fields)
    return said
