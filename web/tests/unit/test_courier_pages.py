# SPDX-License-Identifier: AGPL-3.0-or-later
"""The courier's pages without a running town: the tour drawn stop by stop (a shop before its
door, the parcels to pick up, each step's form), the slip's code however it is typed, a
refusal beside its stop, the courier cookie, signing out (the session ended by dispatch, or
said not to be), the delivery route's body limit, and the pages that need no service."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from downtown_events.runtime.http.body_limit import BodySizeLimit
from downtown_web.asgi import FORM_LIMIT, create_app
from downtown_web.routes.courier import BODY_LIMITS, PROOF_PHOTO_BYTES, returns_of, slip_code, stops_of
from downtown_web.services import ServiceProblem
from downtown_web.settings import WebSettings
from tests.support.fake_services import FakeService, FakeServices

JOB = "0c1d2e3f-0000-4000-8000-000000000001"
ORDER = "5b9cf0a2-0000-4000-8000-000000000002"
SHOP = {"name": "Bäckerei Krume", "street": "Markt 3", "postal_code": "48624", "city": "Schöppingen"}
DOOR = {"name": "Anna Beispiel", "street": "Am Markt 1", "postal_code": "48624", "city": "Schöppingen"}
TOUR = {
    "tour_id": "9f000000-0000-4000-8000-000000000000",
    "day": "2026-12-07",
    "distance_m": 1200,
    "planned_at": "2026-12-07T08:00:00+00:00",
    "stops": [
        {
            "kind": "pickup",
            "job_id": JOB,
            "arrives_at": "2026-12-07T09:40:00+00:00",
            "load_after": 2,
            "shop": {**SHOP, "phone": "02555 1", "lat": None, "lon": None},
        },
        {
            "kind": "drop_off",
            "job_id": JOB,
            "arrives_at": "2026-12-07T10:05:00+00:00",
            "load_after": 0,
            "door": {**DOOR, "phone": "", "note": "Hinterhaus", "lat": None, "lon": None},
        },
    ],
}


def test_the_stops_are_numbered_with_the_parcels_picked_up_at_each() -> None:
    stops = stops_of(TOUR)
    assert [(stop["number"], stop["kind"], stop["parcels"]) for stop in stops] == [(1, "pickup", 2), (2, "drop_off", 0)]
    assert [stop["anchor"] for stop in stops] == ["stop-1", f"job-{JOB}"]


@pytest.mark.parametrize("typed", [ORDER, ORDER.upper(), ORDER.replace("-", ""), " ".join(ORDER.split("-"))])
def test_a_slips_code_is_read_however_it_is_typed(typed: str) -> None:
    assert slip_code(typed) == UUID(ORDER)


@pytest.mark.parametrize("typed", ["", "not a code", ORDER + "0", "https://example.org/" + ORDER])
def test_anything_else_is_no_code(typed: str) -> None:
    assert slip_code(typed) is None


def test_only_the_delivery_form_may_carry_a_photo() -> None:
    limits = BodySizeLimit(lambda *_: None, default_bytes=FORM_LIMIT, routes=BODY_LIMITS)  # type: ignore[arg-type]
    assert limits.limit_for("POST", f"/courier/jobs/{JOB}/delivery").max_bytes > PROOF_PHOTO_BYTES
    assert limits.limit_for("POST", f"/courier/jobs/{JOB}/failure").max_bytes == FORM_LIMIT
    assert limits.limit_for("POST", "/courier/pickups").max_bytes == FORM_LIMIT


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DOWNTOWN_DISPATCH_URL", "http://127.0.0.1:9")
    settings = WebSettings(town="testtown", timezone="Europe/Berlin")
    with TestClient(create_app(settings), headers={"Accept-Language": "en"}) as test_client:
        yield test_client


def test_the_mailed_link_shows_a_button_and_the_tour_asks_to_sign_in_first(client: TestClient) -> None:
    link = client.get("/courier/sign-in", params={"courier": JOB, "token": "t" * 43})
    assert link.status_code == 200 and 'action="/courier/sign-in"' in link.text
    assert 'name="token" value="' + "t" * 43 in link.text  # exchanged by the button, not by opening the link
    answer = client.get("/courier", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/courier/sign-in"


def test_the_tour_shows_the_shop_before_the_door_with_each_steps_form(client: TestClient) -> None:
    dispatch = FakeService({("GET", "/couriers/me/tour"): TOUR})
    client.app.state.services = FakeServices(dispatch=dispatch)  # type: ignore[attr-defined]
    client.cookies.set("courier", "c" * 40)

    shown = client.get("/courier")
    assert shown.status_code == 200, shown.text
    page = shown.text
    # the town's wall clock (Babel's English puts a narrow no-break space before AM)
    assert page.index("10:40\u202fAM · Pick up at Bäckerei Krume") < page.index("11:05\u202fAM · Deliver to Anna")
    assert "2 parcels to pick up" in page and "Hinterhaus" in page and 'href="tel:02555 1"' in page
    assert 'action="/courier/pickups"' in page and 'inputmode="text"' in page and 'class="slip-code"' in page
    assert f'action="/courier/jobs/{JOB}/delivery" enctype="multipart/form-data"' in page
    assert 'type="file" accept="image/*" capture="environment"' in page
    assert f'action="/courier/jobs/{JOB}/failure"' in page and '<option value="not_at_home">' in page
    assert '<script src="/static/scan.js" defer></script>' in page and "<script>" not in page
    csrf = client.cookies["csrf"]

    typo = client.post("/courier/pickups", data={"csrf": csrf, "code": "12345", "stop": "stop-1"})
    assert typo.status_code == 422 and 'id="stop-1-problem"' in typo.text and dispatch.posted == []

    dispatch.answers[("POST", "/couriers/me/pickups")] = {}
    scanned = client.post(
        "/courier/pickups", data={"csrf": csrf, "code": ORDER.upper(), "stop": "stop-1"}, follow_redirects=False
    )
    assert scanned.status_code == 303 and scanned.headers["location"] == "/courier?done=pickup#stop-1"
    assert dispatch.posted == [("/couriers/me/pickups", {"code": ORDER})]

    dispatch.answers[("POST", f"/jobs/{JOB}/delivery")] = ServiceProblem(409, "Conflict", "delivered already")
    twice = client.post(f"/courier/jobs/{JOB}/delivery", data={"csrf": csrf, "recipient_name": "Anna"})
    assert twice.status_code == 409 and f'id="job-{JOB}-problem"' in twice.text

    dispatch.answers[("POST", f"/jobs/{JOB}/failure")] = {}
    failed = client.post(
        f"/courier/jobs/{JOB}/failure", data={"csrf": csrf, "reason": "not_at_home"}, follow_redirects=False
    )
    assert failed.status_code == 303 and failed.headers["location"] == f"/courier?done=failure#job-{JOB}"
    assert dispatch.posted[-1] == (f"/jobs/{JOB}/failure", {"reason": "not_at_home"})
    unknown_reason = client.post(f"/courier/jobs/{JOB}/failure", data={"csrf": csrf, "reason": "lazy"})
    assert unknown_reason.status_code == 422


def test_a_refused_courier_token_signs_out_and_a_forged_post_is_refused(client: TestClient) -> None:
    removed = ServiceProblem(401, "Unauthorized", "this courier no longer rides for the town")
    client.app.state.services = FakeServices(dispatch=FakeService({("GET", "/couriers/me/tour"): removed}))  # type: ignore[attr-defined]
    client.cookies.set("courier", "c" * 40)
    answer = client.get("/courier", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/courier/sign-in"
    assert 'courier=""' in answer.headers["set-cookie"] and "Path=/courier" in answer.headers["set-cookie"]
    forged = client.post("/courier/pickups", data={"code": ORDER, "csrf": "x" * 40})
    assert forged.status_code == 403


def test_signing_out_ends_the_session_at_dispatch_and_then_drops_the_cookie(client: TestClient) -> None:
    dispatch = FakeService({("DELETE", "/couriers/sessions"): None})
    client.app.state.services = FakeServices(dispatch=dispatch)  # type: ignore[attr-defined]
    client.get("/courier/sign-in")
    client.cookies.set("courier", "c" * 40)
    out = client.post("/courier/sign-out", data={"csrf": client.cookies["csrf"]}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/courier/sign-in?ended=1"
    assert [(call.method, call.path) for call in dispatch.calls] == [("DELETE", "/couriers/sessions")]
    assert 'courier=""' in out.headers["set-cookie"]
    said = client.get(out.headers["location"], headers={"Accept-Language": "de"})
    assert '<p role="status">Sie sind auf allen Geräten abgemeldet, auf denen Sie angemeldet waren.</p>' in said.text


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "could not be ended on the server just now"), ("de", "konnte auf dem Server gerade nicht beendet werden")],
)
def test_a_session_dispatch_could_not_end_drops_the_cookie_and_says_so(
    client: TestClient, language: str, words: str
) -> None:
    silent = ServiceProblem(503, "Unavailable", "dispatch did not answer")
    client.app.state.services = FakeServices(dispatch=FakeService({("DELETE", "/couriers/sessions"): silent}))  # type: ignore[attr-defined]
    client.get("/courier/sign-in")
    client.cookies.set("courier", "c" * 40)
    out = client.post("/courier/sign-out", data={"csrf": client.cookies["csrf"]}, headers={"Accept-Language": language})
    assert out.status_code == 503 and words in out.text, out.text
    assert 'courier=""' in out.headers["set-cookie"] and 'action="/courier/sign-in-links"' in out.text


def test_a_token_dispatch_refuses_already_is_signed_out_all_the_same(client: TestClient) -> None:
    refused = ServiceProblem(401, "Unauthorized", "this courier signed out since this token was issued")
    client.app.state.services = FakeServices(dispatch=FakeService({("DELETE", "/couriers/sessions"): refused}))  # type: ignore[attr-defined]
    client.get("/courier/sign-in")
    client.cookies.set("courier", "c" * 40)
    out = client.post("/courier/sign-out", data={"csrf": client.cookies["csrf"]}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/courier/sign-in?ended=1"
    assert 'courier=""' in out.headers["set-cookie"]


BACK = "0c1d2e3f-0000-4000-8000-000000000003"
GOING_BACK: dict[str, Any] = {
    **TOUR,
    "stops": [],
    "returns": [
        {
            "job_id": BACK,
            "attempts": 2,
            "shops": [{"merchant_id": ORDER, "parcels": 2, "shop": {**SHOP, "phone": "", "lat": None, "lon": None}}],
        }
    ],
}


def test_goods_whose_last_attempt_failed_are_brought_back_to_their_shop_from_the_tour(client: TestClient) -> None:
    dispatch = FakeService({("GET", "/couriers/me/tour"): GOING_BACK})
    client.app.state.services = FakeServices(dispatch=dispatch)  # type: ignore[attr-defined]
    client.cookies.set("courier", "c" * 40)

    page = client.get("/courier").text
    going_back = page[page.index(f'id="back-{BACK}"') :]
    assert "Goods to take back to their shops" in page and "2 parcels to take back" in going_back
    assert "Bäckerei Krume" in going_back and "Markt 3, 48624 Schöppingen" in going_back
    assert f'<form method="post" action="/courier/jobs/{BACK}/return" class="checkout">' in going_back
    csrf = client.cookies["csrf"]
    assert f'name="csrf" value="{csrf}"' in going_back and "Goods back at Bäckerei Krume</button>" in going_back

    forged = client.post(f"/courier/jobs/{BACK}/return", data={"csrf": "x" * 40})
    assert forged.status_code == 403 and dispatch.posted == []
    dispatch.answers[("POST", f"/jobs/{BACK}/return")] = {"job_id": BACK, "status": "returned"}
    back = client.post(f"/courier/jobs/{BACK}/return", data={"csrf": csrf}, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == f"/courier?done=return#back-{BACK}"
    assert dispatch.posted == [(f"/jobs/{BACK}/return", None)]
    assert "The goods are back at their shops. Thank you!" in client.get(back.headers["location"]).text


def test_a_return_dispatch_refuses_is_said_beside_it_in_the_couriers_language(client: TestClient) -> None:
    not_yet = ServiceProblem(422, "Invalid change", "only a delivery whose last attempt failed goes back to the shops")
    dispatch = FakeService({("GET", "/couriers/me/tour"): GOING_BACK, ("POST", f"/jobs/{BACK}/return"): not_yet})
    client.app.state.services = FakeServices(dispatch=dispatch)  # type: ignore[attr-defined]
    client.cookies.set("courier", "c" * 40)
    german = {"Accept-Language": "de"}
    page = client.get("/courier", headers=german).text
    assert "Ware zurück bei Bäckerei Krume</button>" in page and "2 Pakete zurückzubringen" in page

    refused = client.post(f"/courier/jobs/{BACK}/return", data={"csrf": client.cookies["csrf"]}, headers=german)
    assert refused.status_code == 422
    beside = refused.text[refused.text.index(f'id="back-{BACK}-problem"') :]
    assert beside.startswith(f'id="back-{BACK}-problem"><p>Diese Ware geht nicht zurück: Nur eine Lieferung')


def test_the_last_failed_attempt_sends_the_courier_to_the_goods_to_take_back(client: TestClient) -> None:
    dispatch = FakeService({("POST", f"/jobs/{JOB}/failure"): {"job_id": JOB, "status": "to_return", "attempts": 2}})
    client.app.state.services = FakeServices(dispatch=dispatch)  # type: ignore[attr-defined]
    client.get("/courier/sign-in")
    client.cookies.set("courier", "c" * 40)
    failed = client.post(
        f"/courier/jobs/{JOB}/failure",
        data={"csrf": client.cookies["csrf"], "reason": "refused"},
        follow_redirects=False,
    )
    assert failed.status_code == 303 and failed.headers["location"] == f"/courier?done=last_failure#back-{JOB}"
    dispatch.answers[("GET", "/couriers/me/tour")] = GOING_BACK
    said = client.get(failed.headers["location"], headers={"Accept-Language": "de"}).text
    assert "Es war der letzte: Bringen Sie die Ware zurück in ihre Geschäfte" in said


def test_a_job_going_back_to_several_shops_names_each_and_has_one_button(client: TestClient) -> None:
    first = GOING_BACK["returns"][0]
    unknown = {"merchant_id": JOB, "parcels": 1, "shop": None}  # not in dispatch's replica yet
    tour = {**GOING_BACK, "returns": [{**first, "shops": [*first["shops"], unknown]}]}
    client.app.state.services = FakeServices(dispatch=FakeService({("GET", "/couriers/me/tour"): tour}))  # type: ignore[attr-defined]
    client.cookies.set("courier", "c" * 40)
    page = client.get("/courier").text
    assert "<h3>Bäckerei Krume</h3>" in page and "<h3>A shop not known yet</h3>" in page
    assert "1 parcel to take back" in page and page.count(f'action="/courier/jobs/{BACK}/return"') == 1
    assert "Goods back at all 2 shops</button>" in page
    assert returns_of({"stops": []}) == []  # a dispatch that tells no returns: none
