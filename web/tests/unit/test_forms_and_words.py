# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the front makes of a form and of a service's refusal, without a running town."""

from __future__ import annotations

from uuid import uuid4

import pytest
from starlette.requests import Request

from downtown_events.runtime.texts import Texts
from downtown_web.problems import words_for
from downtown_web.routes.checkout import _checkout_body
from downtown_web.routes.storefront import photo_of
from downtown_web.services import ServiceProblem
from downtown_web.visitor import basket_of, csrf_ok, language_of


def request(headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    if cookies:
        raw.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw, "query_string": b""})


GERMAN = Texts("downtown_web")


def german(message: str) -> str:
    return GERMAN.gettext("de", message)


def test_a_refused_field_is_worded_for_a_person_in_their_language() -> None:
    problem = ServiceProblem(422, "Invalid request", "…", [{"field": "customer.email", "reason": "not an e-mail"}])
    said = words_for(problem, german)
    assert said.fields == {"customer.email": "Bitte geben Sie eine gültige E-Mail-Adresse ein."}
    assert said.message == "Bitte prüfen Sie die markierten Angaben."
    assert words_for(ServiceProblem(409, "", ""), german).message.startswith("Inzwischen hat sich etwas geändert")
    assert "nicht mehr da" in words_for(ServiceProblem(404, "", ""), german).message
    assert words_for(ServiceProblem(418, "", ""), lambda text: text).message.startswith("That did not work")


def test_checkout_body_takes_only_known_choices_and_asks_the_address_where_needed() -> None:
    pickup, delivery = str(uuid4()), str(uuid4())
    values = {
        "name": "Anna",
        "email": "anna@example.de",
        "street": "Markt 1",
        "postal_code": "48624",
        "city": "Schöppingen",
        f"{pickup}.fulfilment": "pickup",
        f"{pickup}.payment": "cash_at_door",  # not offered for pickup: the first that is
        f"{pickup}.window": "2026-12-07T08:00:00+01:00|2026-12-07T20:00:00+01:00",
        f"{delivery}.fulfilment": "teleport",  # unknown: pickup
        f"{delivery}.payment": "invoice",
    }
    body = _checkout_body(values, {pickup, delivery}, "en")
    assert body["customer"]["language"] == "en"
    assert body["merchants"][pickup] == {
        "fulfilment": {
            "method": "pickup",
            "window": {"starts_at": "2026-12-07T08:00:00+01:00", "ends_at": "2026-12-07T20:00:00+01:00"},
        },
        "payment": {"method": "at_pickup"},
    }
    assert body["merchants"][delivery]["payment"] == {"method": "invoice"}
    assert body["customer"]["billing_address"] == {"street": "Markt 1", "postal_code": "48624", "city": "Schöppingen"}


def test_photos_offer_every_known_variant_by_its_width() -> None:
    item = {"photo": {"thumb": "/photos/p/thumb.jpg", "medium": "/photos/p/medium.jpg", "odd": "/x.jpg"}}
    assert photo_of(item) == {
        "src": "/photos/p/medium.jpg",
        "srcset": "/photos/p/thumb.jpg 320w, /photos/p/medium.jpg 800w",
    }
    assert photo_of({"photo": None}) is None


@pytest.mark.parametrize(
    ("headers", "cookies", "language"),
    [
        ({}, {}, "de"),
        ({"Accept-Language": "en-GB,en;q=0.9"}, {}, "en"),
        ({"Accept-Language": "fr"}, {}, "de"),
        ({"Accept-Language": "en"}, {"lang": "de"}, "de"),
        ({}, {"lang": "../../etc"}, "de"),
    ],
)
def test_the_language_is_the_visitors_choice_else_their_browsers(
    headers: dict[str, str], cookies: dict[str, str], language: str
) -> None:
    assert language_of(request(headers, cookies)) == language


def test_only_a_well_formed_basket_cookie_is_a_basket() -> None:
    basket_id = uuid4()
    assert basket_of(request(cookies={"basket": f"{basket_id}.{'t' * 32}"})).basket_id == basket_id  # type: ignore[union-attr]
    for bad in ("", "x.y", f"{basket_id}.short", f"{basket_id}.{'t' * 32}\x00"):
        assert basket_of(request(cookies={"basket": bad})) is None


def test_a_form_token_must_be_the_visitors_own() -> None:
    token = "a" * 43
    assert csrf_ok(request(cookies={"csrf": token}), token)
    assert not csrf_ok(request(cookies={"csrf": token}), "b" * 43)
    assert not csrf_ok(request(), token)
    assert not csrf_ok(request(cookies={"csrf": token}), None)


def test_every_sentence_of_the_pages_has_its_german() -> None:
    from babel.messages.pofile import read_po

    from downtown_web import __file__ as package

    with open(package.replace("__init__.py", "locale/de/LC_MESSAGES/messages.po"), "rb") as po:
        catalogue = read_po(po, locale="de")
    untranslated = [
        m.id
        for m in catalogue
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert not untranslated
