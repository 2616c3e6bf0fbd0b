# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's pages: its members (approval, suspension), the town's figures as charts,
the voucher programmes and a campaign's budget, the settlement statements, today's deliveries.

The association signs in with the town's association token from its secrets (every service
takes it as ``Authorization: Bearer …``): the page checks it against ordering's figures, a
call only the association may make, then keeps it in an HttpOnly cookie sent to these pages
only. The front keeps nothing else: each section is what a service answers now, and a
service that does not answer leaves its section saying so while the others show.

The members come from the catalog's list for the association (``GET /members``: suspended
ones too, with approval and the suspension's reason), the campaigns from vouchers' list
(``GET /campaigns``, newest first), each linking to its budget's burn-down (``?campaign=``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Response
from fastapi.responses import RedirectResponse

from downtown_web.charts import Chart, bars, budget, columns
from downtown_web.documents import CSV, PDF, handed_on
from downtown_web.pages import Page, PageOf
from downtown_web.problems import Said
from downtown_web.routes.forms import checked
from downtown_web.services import Service, ServiceProblem
from downtown_web.visitor import ASSOCIATION, association_of
from downtown_web.words import N_

router = APIRouter(prefix="/association")

T = TypeVar("T")
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-.]{20,4000}$")
"""A bearer token as the cookie is read back (``visitor.association_of``)."""
FIGURE_DAYS = 30
"""The voucher charts' days, today the last."""
STATUS_WORDS = {
    "placed": N_("waiting for the shop"),
    "confirmed": N_("confirmed"),
    "packed": N_("packed"),
    "ready_for_pickup": N_("ready for pickup"),
    "out_for_delivery": N_("on its way"),
    "fulfilled": N_("done"),
    "rejected": N_("not possible"),
    "cancelled": N_("cancelled"),
    "delivery_failed": N_("not delivered"),
}
"""An order's status as the association reads it on its chart."""
Reason = Annotated[str, Form(max_length=500)]


# --- signing in --------------------------------------------------------------------------


@router.get("/sign-in", summary="The association signs in with its token")
async def sign_in_page(page: PageOf) -> Response:
    return page.render("association_sign_in.html", said=None)


@router.post("/sign-in", summary="Check the association's token and keep it for these pages")
async def sign_in(
    page: PageOf, token: Annotated[str, Form(max_length=4000)] = "", csrf: Annotated[str | None, Form()] = None
) -> Response:
    checked(page.request, csrf)
    token = token.strip()
    wrong = Said(page._("That is not the association's token. Please copy it again from the town's secrets."))
    if not TOKEN_SHAPE.match(token):
        return page.render("association_sign_in.html", status_code=401, said=wrong)
    try:
        await page.services.ordering.call(
            "GET", "/figures", language=page.language, headers={"Authorization": f"Bearer {token}"}
        )
    except ServiceProblem as problem:
        said = wrong if problem.status in (401, 403) else page.refusal(problem)
        return page.render("association_sign_in.html", status_code=problem.status, said=said)
    response = RedirectResponse("/association", status_code=303)
    ASSOCIATION.keep(response, token, secure=page.settings.secure_cookies)
    return response


@router.post("/sign-out", summary="The association signs out on this device")
async def sign_out(page: PageOf, csrf: Annotated[str | None, Form()] = None) -> Response:
    checked(page.request, csrf)
    return _signed_out()


def _signed_out() -> Response:
    """Back to signing in, the cookie gone (none, or a token the services refuse now)."""
    response = RedirectResponse("/association/sign-in", status_code=303)
    ASSOCIATION.forget(response)
    return response


# --- the association's page --------------------------------------------------------------


async def _answer(call: Awaitable[T]) -> T | ServiceProblem:
    """A section's data, or the service's refusal for the section to say."""
    try:
        return await call
    except ServiceProblem as problem:
        return problem


MEMBERS_SHOWN = 500
"""The catalog's page of members (its most); a town's association has tens or hundreds."""
CAMPAIGNS_SHOWN = 50
"""The newest campaigns listed; an older one is still looked up by its number."""
CAMPAIGN_STATES = {
    "running": N_("running"),
    "spent": N_("running, its budget given out or promised"),
    "expired": N_("past its deadline"),
    "ended": N_("ended early"),
}
"""Where a campaign stands (vouchers' ``state``), as the association reads it."""
SECTIONS = ("members", "orders", "programmes", "vouchers", "settlements", "deliveries", "campaigns")


@router.get("", summary="Members, figures, vouchers, settlements and deliveries")
async def association_page(page: PageOf, merchant: UUID | None = None, campaign: UUID | None = None) -> Response:
    auth = association_of(page.request)
    if auth is None:
        return _signed_out()
    today = datetime.now(ZoneInfo(page.settings.timezone)).date()
    first = today - timedelta(days=FIGURE_DAYS - 1)
    settled_from = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    call = _reader(page, auth)
    answers: list[Any] = await asyncio.gather(
        _answer(call(page.services.catalog, "/members", {"limit": MEMBERS_SHOWN})),
        _answer(call(page.services.ordering, "/figures")),
        _answer(call(page.services.vouchers, "/programmes", {"limit": 200})),
        _answer(call(page.services.vouchers, "/figures", {"start": str(first), "end": str(today)})),
        _answer(call(page.services.vouchers, "/settlements", {"start": str(settled_from), "end": str(today)})),
        _answer(call(page.services.dispatch, "/board")),
        _answer(call(page.services.vouchers, "/campaigns", {"limit": CAMPAIGNS_SHOWN})),
        _answer(call(page.services.vouchers, f"/campaigns/{campaign}")) if campaign else _none(),
        _answer(call(page.services.ordering, f"/shops/{merchant}/checkout-options")) if merchant else _none(),
    )
    if any(isinstance(answer, ServiceProblem) and answer.status in (401, 403) for answer in answers[: len(SECTIONS)]):
        return _signed_out()  # the town's token changed: sign in with the new one
    listed, orders, programmes, vouchers, settlements, board, campaigns, found_campaign, member = answers
    said = {
        name: page.refusal(answer)
        for name, answer in zip((*SECTIONS, "campaign", "member"), answers, strict=True)
        if isinstance(answer, ServiceProblem)
    }
    members = [] if isinstance(listed, ServiceProblem) else sorted(listed, key=lambda m: m["name"].casefold())
    named = {} if isinstance(programmes, ServiceProblem) else {p["programme_id"]: p["name"] for p in programmes}
    return page.render(
        "association_home.html",
        said=said,
        members=members,
        member=looked_up_member(merchant, members, member),
        looked_up=merchant,
        orders=None if isinstance(orders, ServiceProblem) else orders_chart(orders, page._),
        order_figures=None if isinstance(orders, ServiceProblem) else orders,
        programmes=[]
        if isinstance(programmes, ServiceProblem)
        else programme_charts(programmes, [] if isinstance(vouchers, ServiceProblem) else vouchers, first, today),
        voucher_totals=None if isinstance(vouchers, ServiceProblem) else voucher_totals(vouchers, page._),
        settlements=[] if isinstance(settlements, ServiceProblem) else settlements,
        settled_from=settled_from,
        today=today,
        deliveries=None if isinstance(board, ServiceProblem) else deliveries_chart(board, page._),
        campaigns=[] if isinstance(campaigns, ServiceProblem) else listed_campaigns(campaigns, named, page._),
        campaign={**found_campaign, "ends_at": datetime.fromisoformat(found_campaign["ends_at"])}
        if isinstance(found_campaign, dict)
        else None,
        burn=campaign_chart(found_campaign, page._) if isinstance(found_campaign, dict) else None,
        burn_down=burn_down(found_campaign, [] if isinstance(vouchers, ServiceProblem) else vouchers, first, today)
        if isinstance(found_campaign, dict)
        else None,
        campaign_asked=campaign,
        figure_days=FIGURE_DAYS,
    )


def looked_up_member(
    merchant: UUID | None, members: list[dict[str, Any]], shop: dict[str, Any] | ServiceProblem | None
) -> dict[str, Any] | None:
    """The member a decision led to: its standing from the catalog's list, whether it takes
    orders from ordering's answer. A member the list has not caught up with yet (or that the
    catalog did not answer for) has no standing: the page offers every decision then."""
    if merchant is None:
        return None
    listed = next((m for m in members if m["merchant_id"] == str(merchant)), None)
    taking = shop.get("taking_orders") if isinstance(shop, dict) else None
    if listed is None and not isinstance(shop, dict):
        return None
    base = listed or {"merchant_id": str(merchant), "name": shop["name"] if isinstance(shop, dict) else ""}
    unknown = {"suspended": None, "approved": None, "suspension_reason": None, "closed": False, "closed_note": ""}
    return {**unknown, **base, "taking_orders": taking}


def state_words(state: str, _: Any) -> str:
    """A campaign's state in the reader's words; one this front does not know yet, as sent."""
    words = CAMPAIGN_STATES.get(state)
    return _(words) if words else state


def listed_campaigns(campaigns: list[dict[str, Any]], programmes: dict[str, str], _: Any) -> list[dict[str, Any]]:
    """The campaigns as the page lists them: where each stands in words, its deadline as a
    time, its programme's name (when the programme still sells; else none)."""
    return [
        {
            **listed,
            "state_words": state_words(listed["state"], _),
            "ends_at": datetime.fromisoformat(listed["ends_at"]),
            "programme_name": programmes.get(listed["programme_id"]),
        }
        for listed in campaigns
    ]


async def _none() -> None:
    return None


def _reader(page: Page, auth: dict[str, str]) -> Callable[..., Awaitable[Any]]:
    """A GET as the association, in the page's language."""

    def read(service: Service, path: str, params: dict[str, Any] | None = None) -> Awaitable[Any]:
        return service.call("GET", path, language=page.language, headers=auth, params=params)

    return read


def orders_chart(figures: dict[str, Any], _: Any) -> Chart:
    """The town's orders by status, in the order an order goes through them."""
    counts = figures.get("by_status") or {}
    return bars([(_(words), int(counts.get(status, 0))) for status, words in STATUS_WORDS.items()])


def voucher_totals(rows: list[dict[str, Any]], _: Any) -> Chart:
    """The town's vouchers over the last days, all programmes: sold (what buyers paid), the
    campaigns' bonus on top, redeemed, expired."""
    sums = {
        key: sum(int(row.get(key) or 0) for row in rows)
        for key in ("sold_paid_cents", "bonus_granted_cents", "redeemed_cents", "breakage_cents")
    }
    return bars(
        [
            (_("sold"), sums["sold_paid_cents"]),
            (_("bonus given"), sums["bonus_granted_cents"]),
            (_("redeemed"), sums["redeemed_cents"]),
            (_("expired unused"), sums["breakage_cents"]),
        ]
    )


def programme_charts(
    programmes: list[dict[str, Any]], rows: list[dict[str, Any]], first: date, last: date
) -> list[dict[str, Any]]:
    """Each open programme with what its vouchers sold for a day (what buyers paid, without
    the campaigns' bonus: vouchers' ``sold_cents`` is the value, bonus included) and redeemed."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    shown = []
    for programme in programmes:
        mine = [row for row in rows if row.get("programme_id") == programme["programme_id"]]
        sold = dict.fromkeys(days, 0)
        redeemed = dict.fromkeys(days, 0)
        for row in mine:
            day = date.fromisoformat(str(row["bucket"])[:10])
            if day in sold:
                sold[day] += int(row.get("sold_paid_cents") or 0)
                redeemed[day] += int(row.get("redeemed_cents") or 0)
        shown.append(
            {
                **programme,
                "sold": columns([(day.isoformat(), cents) for day, cents in sold.items()]),
                "redeemed": columns([(day.isoformat(), cents) for day, cents in redeemed.items()]),
                "sold_cents": sum(sold.values()),
                "redeemed_cents": sum(redeemed.values()),
            }
        )
    return shown


def campaign_chart(campaign: dict[str, Any], _: Any) -> Chart:
    """A campaign's budget burnt down: given out, promised to purchases not yet paid, left."""
    return budget(
        int(campaign["budget_cents"]),
        [
            (_("given out"), int(campaign["granted_cents"])),
            (_("promised"), int(campaign["reserved_cents"])),
            (_("left"), int(campaign["remaining_cents"])),
        ],
    )


def burn_down(campaign: dict[str, Any], rows: list[dict[str, Any]], first: date, last: date) -> Chart:
    """What of a campaign's budget was not yet given out at the end of each day, counted back
    from today's (left and promised) with the bonus its programme granted on the later days.

    Vouchers counts bonus by programme and day, not by campaign: were two campaigns of one
    programme running at once, the line would burn with both."""
    granted = {first + timedelta(days=n): 0 for n in range((last - first).days + 1)}
    for row in rows:
        day = date.fromisoformat(str(row["bucket"])[:10])
        if row.get("programme_id") == campaign["programme_id"] and day in granted:
            granted[day] += int(row.get("bonus_granted_cents") or 0)
    left = int(campaign["remaining_cents"]) + int(campaign["reserved_cents"])
    points = []
    for day in sorted(granted, reverse=True):
        points.append((day.isoformat(), left))
        left += granted[day]  # the evening before: this day's bonus not yet given
    return columns(points[::-1])


def deliveries_chart(board: dict[str, Any], _: Any) -> Chart:
    """Today's deliveries at dispatch: stops planned on tours, jobs left out, waiting, late."""
    stops = sum(len(tour.get("stops") or []) for tour in board.get("tours") or [])
    return bars(
        [
            (_("stops on tours"), stops),
            (_("not planned"), len(board.get("unplanned") or [])),
            (_("waiting for their orders"), len(board.get("waiting") or [])),
            (_("late"), len(board.get("late") or [])),
        ]
    )


@router.get("/settlements/{programme_id}/{merchant_id}.{kind}", summary="A settlement statement as PDF or CSV")
async def settlement_document(
    page: PageOf, programme_id: UUID, merchant_id: UUID, kind: Literal["pdf", "csv"], start: date, end: date
) -> Response:
    """The statement vouchers draws for the association, handed on through this front
    (:mod:`downtown_web.documents`): the browser never holds the association's token."""
    auth = association_of(page.request)
    if auth is None:
        return _signed_out()
    answer = await page.services.vouchers.get_bytes(
        f"/settlements/{programme_id}/{merchant_id}.{kind}",
        headers=auth,
        params={"start": str(start), "end": str(end), "lang": page.language},
    )
    if answer.status_code in (401, 403):
        return _signed_out()
    return handed_on(answer, PDF if kind == "pdf" else CSV, f"statement-{merchant_id}-{start}-{end}.{kind}")


# --- the association's decisions on a member ---------------------------------------------


async def _decide(page: Page, merchant_id: UUID, method: str, path: str, body: dict[str, str] | None) -> Response:
    auth = association_of(page.request)
    if auth is None:
        return _signed_out()
    try:
        await page.services.catalog.call(
            method, f"/merchants/{merchant_id}/{path}", language=page.language, headers=auth, json=body
        )
    except ServiceProblem as problem:
        if problem.status in (401, 403):
            return _signed_out()
        raise
    return RedirectResponse(f"/association?merchant={merchant_id}#member", status_code=303)


def _reason_needed(page: Page, merchant_id: UUID) -> Response:
    said = Said(page._("Please say why: the shop reads it."))
    return page.render("association_reason.html", status_code=422, said=said, merchant_id=merchant_id)


@router.post("/members/{merchant_id}/suspension", summary="Take a member off the high street")
async def suspend(
    page: PageOf, merchant_id: UUID, reason: Reason = "", csrf: Annotated[str | None, Form()] = None
) -> Response:
    checked(page.request, csrf)
    if not reason.strip():
        return _reason_needed(page, merchant_id)
    return await _decide(page, merchant_id, "POST", "suspension", {"reason": reason.strip()})


@router.post("/members/{merchant_id}/reinstatement", summary="Lift a member's suspension")
async def reinstate(page: PageOf, merchant_id: UUID, csrf: Annotated[str | None, Form()] = None) -> Response:
    checked(page.request, csrf)
    return await _decide(page, merchant_id, "DELETE", "suspension", None)


@router.post("/members/{merchant_id}/approval", summary="Vouch for a member: it may act with money")
async def approve(page: PageOf, merchant_id: UUID, csrf: Annotated[str | None, Form()] = None) -> Response:
    checked(page.request, csrf)
    return await _decide(page, merchant_id, "POST", "approval", None)


@router.post("/members/{merchant_id}/approval-withdrawal", summary="Stop vouching for a member")
async def withdraw_approval(
    page: PageOf, merchant_id: UUID, reason: Reason = "", csrf: Annotated[str | None, Form()] = None
) -> Response:
    checked(page.request, csrf)
    if not reason.strip():
        return _reason_needed(page, merchant_id)
    return await _decide(page, merchant_id, "DELETE", "approval", {"reason": reason.strip()})
