# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's pages without a running town: which steps an order offers, what is due at
pickup, a refused offer's words, the merchant cookie, the photo route's body limit (a photo
past it gets the form again, saying so), and the pages that need no service."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from downtown_events.runtime.http.body_limit import BodySizeLimit
from downtown_events.runtime.texts import Texts
from downtown_web.asgi import FORM_LIMIT, create_app
from downtown_web.routes.merchant import BODY_LIMITS, PHOTO_BYTES, due_at_pickup, offer_refusal, steps_for
from downtown_web.services import ServiceProblem
from downtown_web.settings import WebSettings
from downtown_web.visitor import merchant_of
from tests.support.fake_services import FakeService, FakeServices

GERMAN = Texts("downtown_web")


def german(message: str) -> str:
    return GERMAN.gettext("de", message)


def row(status: str, *, accepted: bool = False, fulfilment: str = "pickup", **more: Any) -> dict[str, Any]:
    return {"status": status, "accepted": accepted, "fulfilment": fulfilment, **more}


@pytest.mark.parametrize(
    ("order", "steps"),
    [
        (row("placed"), ["accept", "decline"]),
        (row("placed", accepted=True), []),  # accepted, waiting for the stock or the voucher part
        (row("confirmed"), ["packed", "ready"]),
        (row("packed"), ["ready", "handed-over"]),
        (row("ready_for_pickup"), ["handed-over"]),
        (row("confirmed", fulfilment="delivery"), ["packed"]),
        (row("packed", fulfilment="delivery"), []),
        (row("fulfilled"), []),
        (row("cancelled"), []),
    ],
)
def test_an_order_offers_the_steps_its_status_allows(order: dict[str, Any], steps: list[str]) -> None:
    assert steps_for(order) == steps


def test_what_is_due_at_pickup_is_what_is_left_when_paid_at_the_shop_else_nothing() -> None:
    assert due_at_pickup({"payment_method": "at_pickup", "left_to_pay_cents": 750, "total_cents": 1500}) == 750
    at_shop_unknown = {"payment_method": "at_pickup", "left_to_pay_cents": None, "total_cents": 1500}
    assert due_at_pickup({**at_shop_unknown, "voucher_cents": 500}) == 1000
    assert due_at_pickup({"payment_method": "invoice", "left_to_pay_cents": 1500, "total_cents": 1500}) == 0


def test_a_refused_offer_is_worded_beside_its_field() -> None:
    photo = offer_refusal(ServiceProblem(422, "Photo rejected", "not an image", [{"field": "photo"}]), german)
    assert set(photo.fields) == {"photo"} and photo.message == "Bitte prüfen Sie die markierten Angaben."
    price = offer_refusal(ServiceProblem(422, "Refused", "price '12x' is not an amount in euros"), german)
    assert set(price.fields) == {"price"}
    too_large = offer_refusal(ServiceProblem(413, "Photo rejected", "larger than 15 MB"), lambda text: text)
    assert too_large.fields == {"photo": "That is too large to send."}
    assert offer_refusal(ServiceProblem(403, "", ""), lambda text: text).fields == {}


def test_only_a_well_formed_merchant_cookie_is_a_merchant() -> None:
    def request(cookie: str) -> Request:
        headers = [(b"cookie", f"merchant={cookie}".encode())]
        return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""})

    assert merchant_of(request("a.b-c_" * 10)) == {"Authorization": f"Bearer {'a.b-c_' * 10}"}
    for bad in ("", "short", "x" * 30 + "\x00", "x" * 30 + " y"):
        assert merchant_of(request(bad)) is None


def test_only_the_new_offer_form_may_carry_a_photo() -> None:
    limits = BodySizeLimit(lambda *_: None, default_bytes=FORM_LIMIT, routes=BODY_LIMITS)  # type: ignore[arg-type]
    assert limits.limit_for("POST", "/merchant/offers").max_bytes > PHOTO_BYTES
    assert limits.limit_for("POST", "/merchant/offers/x").max_bytes == FORM_LIMIT
    assert limits.limit_for("POST", "/checkout").max_bytes == FORM_LIMIT


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    # Services nobody answers at: only pages that call none are drawn.
    monkeypatch.setenv("DOWNTOWN_CATALOG_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DOWNTOWN_ORDERING_URL", "http://127.0.0.1:9")
    with TestClient(create_app(WebSettings(town="testtown")), headers={"Accept-Language": "en"}) as test_client:
        yield test_client


def test_the_mailed_link_shows_a_button_and_the_pages_ask_to_sign_in_first(client: TestClient) -> None:
    link = client.get(
        "/merchant/sign-in", params={"merchant": "7d4c2a7e-0000-4000-8000-000000000001", "token": "t" * 43}
    )
    assert link.status_code == 200 and 'action="/merchant/sign-in"' in link.text
    assert 'name="token" value="' + "t" * 43 in link.text  # exchanged by the button, not by opening the link
    for path in ("/merchant", "/merchant/offers/new"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/merchant/sign-in"


def test_the_new_offer_form_takes_a_photo_from_the_camera_and_a_forged_post_is_refused(client: TestClient) -> None:
    client.cookies.set("merchant", "m" * 40)
    form = client.get("/merchant/offers/new")
    assert form.status_code == 200
    assert 'type="file" accept="image/*" capture="environment"' in form.text
    assert 'enctype="multipart/form-data"' in form.text and 'name="idempotency_key"' in form.text
    assert '<script src="/static/merchant-photo.js" defer></script>' in form.text  # no inline script
    forged = client.post("/merchant/offers", data={"price": "1", "csrf": "x" * 40}, files={"photo": ("a.jpg", b"x")})
    assert forged.status_code == 403
    step = client.post("/merchant/orders/7d4c2a7e-0000-4000-8000-000000000001/accept", data={"csrf": "x" * 40})
    assert step.status_code == 403


ORDER = "5b9cf0a2-0000-4000-8000-00000000000"


def summary(number: int, status: str, **more: Any) -> dict[str, Any]:
    return {
        "order_id": f"{ORDER}{number}",
        "status": status,
        "accepted": False,
        "fulfilment": "pickup",
        "pickup_starts_at": "2026-12-07T10:00:00+01:00",
        "placed_at": "2026-12-06T09:00:00+01:00",
        "answer_by": "2026-12-06T13:00:00+01:00",
        "total_cents": 1250,
        "voucher_cents": 0,
        "payment_method": "at_pickup",
        "left_to_pay_cents": 1250,
        "customer": {"name": "Anna Beispiel", "phone": "+49 2555 99"},
        **more,
    }


def test_the_orders_page_offers_each_steps_form_and_says_a_refusal_beside_its_order(client: TestClient) -> None:
    new, ready = summary(1, "placed"), summary(2, "ready_for_pickup")
    lines = {"lines": [{"quantity": 2, "title": "Apfelsaft"}]}
    ordering = FakeService(
        {
            ("GET", "/orders"): [new, ready],
            ("GET", f"/orders/{new['order_id']}"): lines,
            ("GET", f"/orders/{ready['order_id']}"): lines,
            ("POST", f"/orders/{ready['order_id']}/handed-over"): ServiceProblem(409, "Conflict", "changed"),
        }
    )
    catalog = FakeService({("GET", "/merchants/me"): {"profile": {"name": "Hofladen Apfelbaum"}}})
    client.app.state.services = FakeServices(catalog=catalog, ordering=ordering)  # type: ignore[attr-defined]
    client.cookies.set("merchant", "m" * 40)

    shown = client.get("/merchant")
    assert shown.status_code == 200 and "Hofladen Apfelbaum" in shown.text and "2 × Apfelsaft" in shown.text
    for step in ("accept", "decline"):
        assert f'action="/merchant/orders/{new["order_id"]}/{step}"' in shown.text
    assert f'action="/merchant/orders/{ready["order_id"]}/handed-over"' in shown.text
    assert 'name="paid_cents" value="1250"' in shown.text and "€12.50 paid" in shown.text
    csrf = client.cookies["csrf"]

    unexplained = client.post(f"/merchant/orders/{new['order_id']}/decline", data={"csrf": csrf, "reason": " "})
    assert unexplained.status_code == 422 and f'id="order-{new["order_id"]}-problem"' in unexplained.text
    assert ordering.posted == []  # nothing sent without a reason

    refused = client.post(
        f"/merchant/orders/{ready['order_id']}/handed-over", data={"csrf": csrf, "paid_cents": "1250"}
    )
    assert refused.status_code == 409 and f'id="order-{ready["order_id"]}-problem"' in refused.text
    assert ordering.posted == [(f"/orders/{ready['order_id']}/handed-over", {"paid_cents": 1250})]

    ordering.answers[("POST", f"/orders/{new['order_id']}/decline")] = {}
    declined = client.post(
        f"/merchant/orders/{new['order_id']}/decline",
        data={"csrf": csrf, "reason": "Ausverkauft"},
        follow_redirects=False,
    )
    assert declined.status_code == 303 and declined.headers["location"] == f"/merchant#order-{new['order_id']}"
    assert ordering.posted[-1] == (f"/orders/{new['order_id']}/decline", {"reason": "Ausverkauft"})


def test_the_orders_page_shows_a_services_booked_time_and_the_couriers_slot(client: TestClient) -> None:
    consultation = summary(1, "placed")
    delivered = summary(2, "confirmed", fulfilment="delivery", pickup_starts_at=None)
    at_the_shop = {"starts_at": "2026-12-08T09:00:00+00:00", "ends_at": "2026-12-08T09:30:00+00:00"}
    ordering = FakeService(
        {
            ("GET", "/orders"): [consultation, delivered],
            ("GET", f"/orders/{consultation['order_id']}"): {
                "lines": [
                    {"quantity": 1, "title": "Sehberatung", "slot": at_the_shop, "held": "video"},
                    {"quantity": 1, "title": "Brillenreinigung", "slot": at_the_shop, "held": "in_person"},
                ],
                "delivery_slot": None,
            },
            ("GET", f"/orders/{delivered['order_id']}"): {
                "lines": [{"quantity": 2, "title": "Apfelsaft", "slot": None, "held": None}],
                "delivery_slot": {"starts_at": "2026-12-08T14:00:00+01:00", "ends_at": "2026-12-08T15:00:00+01:00"},
            },
        }
    )
    catalog = FakeService({("GET", "/merchants/me"): {"profile": {"name": "Optik Blick"}}})
    client.app.state.services = FakeServices(catalog=catalog, ordering=ordering)  # type: ignore[attr-defined]
    client.cookies.set("merchant", "m" * 40)

    shown = client.get("/merchant")
    assert shown.status_code == 200
    hours = "10:00\u202fAM\u201310:30\u202fAM"  # Babel's English times: a narrow no-break space before AM
    booked = f'<time datetime="2026-12-08T09:00:00+00:00">Tuesday, December 8, 2026, {hours}</time>'
    assert f"1 × Sehberatung: Video consultation: {booked}</li>" in shown.text  # the town's time, as basket showed
    assert f"1 × Brillenreinigung: {booked}</li>" in shown.text
    assert "2 × Apfelsaft</li>" in shown.text
    assert "Delivery: <time" in shown.text and "Tue, Dec 8, 2026, 2:00\u202fPM\u20133:00\u202fPM</time>" in shown.text


def test_a_token_the_services_refuse_signs_the_merchant_out(client: TestClient) -> None:
    expired = FakeService({("GET", "/merchants/me"): ServiceProblem(401, "Not authenticated", "expired")})
    client.app.state.services = FakeServices(catalog=expired, ordering=FakeService({("GET", "/orders"): []}))  # type: ignore[attr-defined]
    client.cookies.set("merchant", "m" * 40)
    answer = client.get("/merchant", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/merchant/sign-in"
    assert 'merchant=""' in answer.headers["set-cookie"] and "Path=/merchant" in answer.headers["set-cookie"]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "The photo is too large: at most 15 MB. Take it again at a lower resolution."),
        ("de", "Das Foto ist zu groß: höchstens 15 MB. Nehmen Sie es mit einer geringeren Auflösung noch einmal auf."),
    ],
)
def test_a_photo_past_the_forms_limit_gets_the_form_again_saying_so(
    client: TestClient, language: str, words: str
) -> None:
    client.cookies.set("merchant", "m" * 40)
    client.get("/merchant/offers/new")
    sent = client.post(
        "/merchant/offers",
        content=b"x" * (PHOTO_BYTES + 128 * 1024),
        headers={"Content-Type": "multipart/form-data; boundary=x", "Accept-Language": language},
    )
    assert sent.status_code == 413 and sent.headers["content-type"].startswith("text/html"), sent.text[:300]
    assert words in sent.text and 'id="photo-problem"' in sent.text and 'aria-invalid="true"' in sent.text
    assert 'action="/merchant/offers"' in sent.text and 'capture="environment"' in sent.text  # the form again
    assert sent.headers["content-security-policy"].startswith("default-src 'self'")
    assert sent.headers["connection"] == "close"
