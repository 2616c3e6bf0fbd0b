# SPDX-License-Identifier: AGPL-3.0-or-later
"""The courier's phone pages: signing in by e-mailed link, today's tour stop by stop, the
pickup scan at a shop, the delivery at a door (the recipient's name, a photo if wanted), a
failed attempt, and the goods back at their shops once the last attempt failed.

Dispatch mails ``/courier/sign-in?courier=…&token=…``, signed in as a customer is
(:mod:`downtown_web.routes.sign_in`). The courier token dispatch gives for it stays in an
HttpOnly cookie sent to ``/courier…`` only, and is never shown.

Each step is a form of its own, and each works without JavaScript: the slip's code is typed
(``static/scan.js`` adds the camera where the browser can read QR codes). Dispatch
decides every step on the job's stream and a step done again decides nothing (a pickup
scanned twice), or is refused (a delivery told twice: 409), so a form sent twice changes the
job once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import RedirectResponse

from downtown_events.runtime.http.body_limit import RouteLimit
from downtown_web.pages import Page, PageOf
from downtown_web.problems import Said
from downtown_web.routes.forms import checked
from downtown_web.routes.sign_in import LinkSignIn, add_sign_in, add_sign_out
from downtown_web.services import ServiceProblem
from downtown_web.visitor import COURIER, courier_of
from downtown_web.words import N_

router = APIRouter(prefix="/courier")

PROOF_PHOTO_BYTES = 10 * 1024 * 1024
"""Dispatch's largest proof photo (its ``max_proof_photo_bytes``' default)."""
BODY_LIMITS = (
    RouteLimit(
        "POST", "/courier/jobs/[^/]+/delivery", PROOF_PHOTO_BYTES + 64 * 1024, "take the photo at a lower resolution"
    ),
)
"""The delivery's form carries a photo: as large as dispatch takes one, plus the form."""

Reason = Literal["not_at_home", "wrong_address", "refused", "unreachable", "damaged", "other"]
REASONS: dict[str, str] = {
    "not_at_home": N_("Nobody at home"),
    "wrong_address": N_("Wrong or unknown address"),
    "refused": N_("The recipient refused the goods"),
    "unreachable": N_("The door could not be reached"),
    "damaged": N_("The goods are damaged"),
    "other": N_("Something else"),
}
"""Dispatch's reasons for a failed attempt, as a courier reads them."""
DONE: dict[str, str] = {
    "pickup": N_("Picked up: the goods ride with you."),
    "delivery": N_("Delivered. Thank you!"),
    "failure": N_("The failed attempt is noted; the goods go back to their shops."),
    "last_failure": N_(
        "The failed attempt is noted. It was the last one: take the goods back to their shops and say so here."
    ),
    "return": N_("The goods are back at their shops. Thank you!"),
}
Done = Literal["pickup", "delivery", "failure", "last_failure", "return"]
NOT_TO_RETURN = N_("These goods do not go back: only a delivery whose last attempt failed does. Reload the tour.")
"""Dispatch's 422 on a return: the job is not (or no longer) one whose goods go back."""


# --- signing in --------------------------------------------------------------------------


SIGN_IN = LinkSignIn(
    pages="/courier",
    service=lambda services: services.dispatch,
    at="/couriers",
    field="courier",
    bearer=COURIER,
    template="courier_sign_in.html",
    home="/courier",
)
add_sign_in(router, SIGN_IN)
add_sign_out(router, SIGN_IN)


# --- the tour ----------------------------------------------------------------------------


@router.get("", summary="Today's tour, stop by stop")
async def tour_page(page: PageOf, done: Done | None = None) -> Response:
    return await _tour_page(page, done=done)


async def _tour_page(
    page: Page,
    *,
    done: str | None = None,
    refused: str | None = None,
    said: Said | None = None,
    status_code: int = 200,
) -> Response:
    auth = courier_of(page.request)
    if auth is None:
        return SIGN_IN.signed_out()
    try:
        tour = await page.services.dispatch.call("GET", "/couriers/me/tour", language=page.language, headers=auth)
    except ServiceProblem as problem:
        if problem.status in (401, 403):
            return SIGN_IN.signed_out()
        raise
    stops = stops_of(tour)
    returns = returns_of(tour)
    if refused not in {item["anchor"] for item in [*stops, *returns]}:
        refused = None  # its stop is not (or no longer) on today's tour: said on top
    return page.render(
        "courier_tour.html",
        status_code=status_code,
        day=datetime.fromisoformat(f"{tour['day']}T12:00:00+00:00"),
        stops=stops,
        returns=returns,
        done=page._(DONE[done]) if done in DONE else None,
        refused=refused,
        said=said,
        reasons={reason: page._(words) for reason, words in REASONS.items()},
    )


def stops_of(tour: dict[str, Any]) -> list[dict[str, Any]]:
    """The tour's stops in order, numbered, with what is picked up (the parcels the load grows
    by) and when the courier is expected; a door is where its job's forms go."""
    stops = []
    load = 0
    for number, stop in enumerate(tour.get("stops", []), start=1):
        carried = int(stop.get("load_after", 0))
        stops.append(
            {
                **stop,
                "number": number,
                # where the page shows a refusal of its step: a shop by its place in the tour, a door by its job
                "anchor": f"stop-{number}" if stop["kind"] == "pickup" else f"job-{stop['job_id']}",
                "arrives_at": datetime.fromisoformat(stop["arrives_at"]),
                "parcels": max(carried - load, 0),
            }
        )
        load = carried
    return stops


def returns_of(tour: dict[str, Any]) -> list[dict[str, Any]]:
    """The goods to bring back (jobs whose last attempt failed), each with its shops and where
    the page shows a refusal of its step. An older dispatch says nothing of returns: none."""
    return [{**back, "anchor": f"back-{back['job_id']}"} for back in tour.get("returns", [])]


# --- the steps ---------------------------------------------------------------------------


@router.post("/pickups", summary="Scan (or type) an order's slip at its shop")
async def pick_up(
    page: PageOf,
    code: Annotated[str, Form(max_length=200)],
    stop: Annotated[str, Form(max_length=60)] = "",
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    checked(page.request, csrf)
    if courier_of(page.request) is None:
        return SIGN_IN.signed_out()
    order_id = slip_code(code)
    if order_id is None:
        said = Said(page._("Please type the code printed under the slip's QR code (or scan it)."))
        return await _tour_page(page, refused=stop, said=said, status_code=422)
    answer = await _step(page, stop, "/couriers/me/pickups", json={"code": str(order_id)})
    return answer if isinstance(answer, Response) else _done("pickup", stop)


def slip_code(code: str) -> UUID | None:
    """The order's id a slip's QR code holds, however it was typed (spaces, capitals, with or
    without dashes); None for anything else."""
    try:
        return UUID("".join(code.split()))
    except ValueError:
        return None


@router.post("/jobs/{job_id}/delivery", summary="Handed over at the door: the recipient's name, a photo if wanted")
async def deliver(
    page: PageOf,
    job_id: UUID,
    recipient_name: Annotated[str, Form(max_length=120)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    checked(page.request, csrf)
    if courier_of(page.request) is None:
        return SIGN_IN.signed_out()
    stop = f"job-{job_id}"
    if not recipient_name.strip():
        said = Said(page._("Please enter the name of the person who took the goods."))
        return await _tour_page(page, refused=stop, said=said, status_code=422)
    data = b"" if photo is None else await photo.read()  # at most the route's body limit
    files = None
    if data and photo is not None:
        files = {"photo": (photo.filename or "door.jpg", data, photo.content_type or "application/octet-stream")}
    answer = await _step(
        page, stop, f"/jobs/{job_id}/delivery", data={"recipient_name": recipient_name.strip()}, files=files, timeout=60
    )
    return answer if isinstance(answer, Response) else _done("delivery", stop)


@router.post("/jobs/{job_id}/failure", summary="Nobody took the goods")
async def fail_attempt(
    page: PageOf, job_id: UUID, reason: Annotated[Reason, Form()], csrf: Annotated[str | None, Form()] = None
) -> Response:
    checked(page.request, csrf)
    if courier_of(page.request) is None:
        return SIGN_IN.signed_out()
    answer = await _step(page, f"job-{job_id}", f"/jobs/{job_id}/failure", json={"reason": reason})
    if isinstance(answer, Response):
        return answer
    if answer.get("status") == "to_return":  # the town's last attempt: the goods go back, see below
        return _done("last_failure", f"back-{job_id}")
    return _done("failure", f"job-{job_id}")


@router.post(
    "/jobs/{job_id}/return", summary="The goods of a delivery whose last attempt failed are back at their shops"
)
async def return_to_shops(page: PageOf, job_id: UUID, csrf: Annotated[str | None, Form()] = None) -> Response:
    checked(page.request, csrf)
    if courier_of(page.request) is None:
        return SIGN_IN.signed_out()
    stop = f"back-{job_id}"
    answer = await _step(page, stop, f"/jobs/{job_id}/return", refusals={422: NOT_TO_RETURN})
    return answer if isinstance(answer, Response) else _done("return", stop)


async def _step(
    page: Page, stop: str, path: str, refusals: dict[int, str] | None = None, **sent: Any
) -> dict[str, Any] | Response:
    """One step at dispatch: its answer (the job as it stands now), or the tour with the
    refusal beside its stop (``refusals``: this step's own words for a status)."""
    auth = courier_of(page.request) or {}
    try:
        answer = await page.services.dispatch.call("POST", path, language=page.language, headers=auth, **sent)
    except ServiceProblem as problem:
        if problem.status == 401:
            return SIGN_IN.signed_out()
        own = (refusals or {}).get(problem.status)
        said = Said(page._(own)) if own else page.refusal(problem)
        return await _tour_page(page, refused=stop, said=said, status_code=problem.status)
    return answer if isinstance(answer, dict) else {}


def _done(done: Done, stop: str) -> Response:
    """Back to the tour, saying the step is done, at its stop."""
    return RedirectResponse(f"/courier?done={done}#{stop}", status_code=303)
