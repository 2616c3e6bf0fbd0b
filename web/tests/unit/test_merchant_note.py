# SPDX-License-Identifier: AGPL-3.0-or-later
"""Today's note for customers on the merchant's page, over a fake catalog: the note and its
day as the catalog says them, a refusal beside the field with what was typed, the two forms'
calls, and a forged post refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from downtown_web.asgi import create_app
from downtown_web.services import ServiceProblem
from downtown_web.settings import WebSettings
from tests.support.fake_services import FakeService, FakeServices

NOTE_PATH = "/merchants/me/availability-note"


@pytest.fixture
def catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, FakeService]]:
    monkeypatch.setenv("DOWNTOWN_CATALOG_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DOWNTOWN_ORDERING_URL", "http://127.0.0.1:9")
    shop = {
        "profile": {"name": "Blumen Sonnenschein"},
        "availability_note": {"note": "Heute nur Abholung", "for_day": "2026-12-07"},
    }
    fake = FakeService({("GET", "/merchants/me"): shop, ("PUT", NOTE_PATH): shop, ("DELETE", NOTE_PATH): shop})
    with TestClient(create_app(WebSettings(town="testtown")), headers={"Accept-Language": "de"}) as client:
        client.app.state.services = FakeServices(catalog=fake, ordering=FakeService({("GET", "/orders"): []}))  # type: ignore[attr-defined]
        client.cookies.set("merchant", "m" * 40)
        yield client, fake


def test_the_page_shows_the_note_and_the_day_it_is_shown_on(catalog: tuple[TestClient, FakeService]) -> None:
    client, _ = catalog
    page = client.get("/merchant")
    assert page.status_code == 200
    assert "Das Schaufenster zeigt am Montag, 7. Dezember 2026:" in page.text
    assert 'name="note" maxlength="200" required value="Heute nur Abholung"' in page.text
    assert 'action="/merchant/availability-note/clear"' in page.text


def test_the_forms_set_and_clear_the_note_at_the_catalog(catalog: tuple[TestClient, FakeService]) -> None:
    client, fake = catalog
    client.get("/merchant")  # the page sets the visitor's form token
    csrf = client.cookies["csrf"]

    noted = client.post(
        "/merchant/availability-note", data={"csrf": csrf, "note": "Ab 14 Uhr zu"}, follow_redirects=False
    )
    cleared = client.post("/merchant/availability-note/clear", data={"csrf": csrf}, follow_redirects=False)

    assert (noted.status_code, noted.headers["location"]) == (303, "/merchant#availability-note")
    assert cleared.status_code == 303
    assert fake.sent == [("PUT", NOTE_PATH, {"note": "Ab 14 Uhr zu"}), ("DELETE", NOTE_PATH, None)]


def test_a_refused_note_is_said_beside_its_field_with_what_was_typed(catalog: tuple[TestClient, FakeService]) -> None:
    client, fake = catalog
    client.get("/merchant")  # the page sets the visitor's form token
    csrf = client.cookies["csrf"]
    fake.answers[("PUT", NOTE_PATH)] = ServiceProblem(422, "Unprocessable", "note: too long", [{"field": "note"}])

    refused = client.post("/merchant/availability-note", data={"csrf": csrf, "note": "zu lang"})

    assert refused.status_code == 422
    assert "Bitte schreiben Sie eine Zeile mit höchstens 200 Zeichen." in refused.text
    assert 'value="zu lang" aria-invalid="true" aria-describedby="availability-note-problem"' in refused.text


def test_a_forged_post_is_refused(catalog: tuple[TestClient, FakeService]) -> None:
    client, fake = catalog
    for action in ("/merchant/availability-note", "/merchant/availability-note/clear"):
        assert client.post(action, data={"csrf": "x" * 40, "note": "gefälscht"}).status_code == 403
    assert fake.sent == []
