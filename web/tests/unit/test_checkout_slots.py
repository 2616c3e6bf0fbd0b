# SPDX-License-Identifier: AGPL-3.0-or-later
"""The checkout's delivery slot and booked times, without a running town: the slots of
ordering's quote offered once for the shops the town's couriers deliver together, the one
chosen sent with every delivery, ordering's refusal of it said beside the slots, and a
service line's booked time (a video consultation too) shown as the basket showed it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from downtown_web.asgi import create_app
from downtown_web.problems import Said
from downtown_web.routes.checkout import SLOT_REFUSED, _checkout_body, delivery_slots, slot_on_the_form
from downtown_web.services import ServiceProblem
from downtown_web.settings import WebSettings
from tests.support.fake_services import FakeService, FakeServices

BASKET = "0b6f3c1e-0000-4000-8000-000000000001"
WINE, OPTICIAN = "7d4c2a7e-0000-4000-8000-000000000001", "7d4c2a7e-0000-4000-8000-000000000002"
CONSULTATION = "9a1e5b3c-0000-4000-8000-000000000001"


def courier_slot(hour: int, fee_cents: int | None, *, town_round: bool = False) -> dict[str, Any]:
    """A slot as ordering's quote lists it: in the town's time (08:00 UTC is 09:00 in Berlin)."""
    kind = "town_round" if town_round else "standard"
    return {
        "slot_id": f"{kind}:20261208T{hour - 1:02d}00Z",
        "starts_at": f"2026-12-08T{hour:02d}:00:00+01:00",
        "ends_at": f"2026-12-08T{hour + 1:02d}:00:00+01:00",
        "kind": kind,
        "town_round": town_round,
        "label": "Stadttour" if town_round else "",
        "fee_cents": fee_cents,
    }


SLOTS = [courier_slot(10, 490), courier_slot(11, 490), courier_slot(14, 290, town_round=True)]


def test_the_quotes_slots_are_offered_in_its_order_and_none_without_the_towns_couriers() -> None:
    offered = delivery_slots({"courier": {"zone": "Innenstadt", "fee_cents": 490, "slots": SLOTS}})
    assert [slot.slot_id for slot in offered] == [slot["slot_id"] for slot in SLOTS]
    assert offered[2].town_round and offered[2].fee_cents == 290
    assert offered[0].starts_at.isoformat() == "2026-12-08T10:00:00+01:00"
    assert delivery_slots({"courier": None}) == []


def test_the_slot_chosen_goes_with_every_delivery_and_a_pickup_or_a_forged_value_carries_none() -> None:
    values = {
        f"{WINE}.fulfilment": "delivery",
        f"{WINE}.payment": "invoice",
        f"{OPTICIAN}.fulfilment": "delivery",
        f"{OPTICIAN}.payment": "invoice",
        "delivery_slot": "standard:20261208T1000Z",
    }
    body = _checkout_body(values, {WINE, OPTICIAN}, "de")
    for merchant_id in (WINE, OPTICIAN):  # the couriers bring both in one trip: one slot for both
        assert body["merchants"][merchant_id]["fulfilment"]["delivery_slot"] == {"slot_id": "standard:20261208T1000Z"}
    picked_up = _checkout_body({**values, f"{OPTICIAN}.fulfilment": "pickup"}, {WINE, OPTICIAN}, "de")
    assert "delivery_slot" not in picked_up["merchants"][OPTICIAN]["fulfilment"]
    for forged in ("", "standard:tomorrow", "x" * 500, "standard:20261208T1000Z\n"):
        fulfilment = _checkout_body({**values, "delivery_slot": forged}, {WINE}, "de")["merchants"][WINE]["fulfilment"]
        assert "delivery_slot" not in fulfilment  # ordering then takes the next slot


def test_a_refused_slot_is_said_under_the_forms_slot_field_whatever_ordering_called_it() -> None:
    def english(message: str) -> str:
        return message

    refused = slot_on_the_form(Said("Please check the marked entries.", {"delivery_slot": "…"}), english)
    assert refused.fields == {"delivery_slot": SLOT_REFUSED}
    unreadable = f"merchants.{WINE}.fulfilment.delivery.delivery_slot.slot_id"
    mixed = slot_on_the_form(Said("Please check.", {unreadable: "…", "customer.name": "Name!"}), english)
    assert mixed.fields == {"customer.name": "Name!", "delivery_slot": SLOT_REFUSED}
    assert slot_on_the_form(Said("x", {"customer.email": "E-mail!"}), english).fields == {"customer.email": "E-mail!"}


def line(merchant_id: str, title: str, **more: Any) -> dict[str, Any]:
    return {
        "line_id": str(uuid4()),
        "offer_id": str(uuid4()),
        "merchant_id": merchant_id,
        "title": title,
        "quantity": 1,
        "unit_price_cents": 2500,
        "slot": None,
        **more,
    }


def shop(merchant_id: str, name: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    quoted = [{**each, "slot_status": "held" if each["slot"] else None, "held_until": None} for each in lines]
    return {"merchant_id": merchant_id, "name": name, "lines": quoted, "pickup": {"possible": True, "windows": []}}


@pytest.fixture
def town(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, FakeService]]:
    monkeypatch.setenv("DOWNTOWN_CATALOG_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DOWNTOWN_ORDERING_URL", "http://127.0.0.1:9")
    wine = line(WINE, "Riesling")
    seeing = line(
        OPTICIAN,
        "Sehberatung",
        offer_id=CONSULTATION,
        slot={"starts_at": "2026-12-09T15:00:00+01:00", "ends_at": "2026-12-09T15:30:00+01:00"},
    )
    basket = {"basket_id": BASKET, "checked_out": False, "goods_cents": 5000, "lines": [wine, seeing]}
    quote = {
        "courier": {"zone": "Innenstadt", "fee_cents": 490, "slots": SLOTS},
        "shops": [shop(WINE, "Weinhandlung Rebe", [wine]), shop(OPTICIAN, "Optik Blick", [seeing])],
        "warnings": [],
    }
    ordering = FakeService({("GET", f"/baskets/{BASKET}"): basket, ("GET", f"/baskets/{BASKET}/quote"): quote})
    entry = {"offers_pickup": True, "offers_delivery": True}
    catalog = FakeService(
        {
            ("GET", f"/directory/{WINE}"): {**entry, "name": "Weinhandlung Rebe"},
            ("GET", f"/directory/{OPTICIAN}"): {**entry, "name": "Optik Blick"},
            ("GET", f"/catalog/{CONSULTATION}"): {"offer_id": CONSULTATION, "held": "video"},
        }
    )
    with TestClient(create_app(WebSettings(town="testtown", timezone="Europe/Berlin"))) as client:
        client.app.state.services = FakeServices(catalog=catalog, ordering=ordering)  # type: ignore[attr-defined]
        client.cookies.set("basket", f"{BASKET}.{'t' * 20}")
        client.cookies.set("lang", "de")
        yield client, ordering


def test_the_checkout_offers_the_couriers_slots_with_their_fees_and_shows_the_booked_time(
    town: tuple[TestClient, FakeService],
) -> None:
    client, _ = town
    page = client.get("/checkout")
    assert page.status_code == 200
    assert "<legend>Wann die Kuriere der Stadt liefern</legend>" in page.text
    assert page.text.count('name="delivery_slot"') == 3
    first = 'id="delivery_slot-1" name="delivery_slot" value="standard:20261208T0900Z" checked>'
    assert first in page.text and page.text.count(" checked>") == 1 + 2  # the first slot; pickup for both shops
    assert "Di., 08.12.2026, 10:00–11:00</time>: Liefergebühr 4,90" in page.text
    assert "14:00–15:00</time> (Stadttour): Liefergebühr 2,90" in page.text
    assert "je liefernden Geschäft" not in page.text  # one fee for the one trip, said with each slot
    assert "1 × Sehberatung: Videoberatung: <time" in page.text  # the booked time, as in the basket
    assert "Mittwoch, 9. Dezember 2026, 15:00–15:30</time>" in page.text
    assert "1 × Riesling</li>" in page.text


def test_the_slot_chosen_is_sent_and_a_slot_ordering_refuses_is_said_beside_the_slots(
    town: tuple[TestClient, FakeService],
) -> None:
    client, ordering = town
    csrf = client.get("/checkout").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    chosen = "standard:20261208T1000Z"
    ordering.answers[("POST", f"/baskets/{BASKET}/checkout")] = ServiceProblem(
        422,
        "Delivery slot not available",
        "the delivery slot starts too soon",
        [{"field": "delivery_slot", "reason": "the delivery slot starts too soon"}],
    )
    form = {
        "csrf": csrf,
        "idempotency_key": str(uuid4()),
        "name": "Anna Beispiel",
        "street": "Marktplatz 1",
        "postal_code": "48143",
        "city": "Münster",
        f"{WINE}.fulfilment": "delivery",
        f"{WINE}.payment": "invoice",
        f"{OPTICIAN}.fulfilment": "pickup",
        f"{OPTICIAN}.payment": "at_pickup",
        "delivery_slot": chosen,
    }
    refused = client.post("/checkout", data=form)
    [(path, body)] = ordering.posted
    assert path == f"/baskets/{BASKET}/checkout"
    assert body["merchants"][WINE]["fulfilment"]["delivery_slot"] == {"slot_id": chosen}
    assert refused.status_code == 422
    assert (
        '<p class="problem" id="delivery_slot-problem">Dieses Lieferfenster ist nicht mehr buchbar. '
        "Bitte wählen Sie ein anderes.</p>" in refused.text
    )
    assert 'aria-describedby="delivery_slot-hint delivery_slot-problem"' in refused.text
    assert f'value="{chosen}" checked aria-invalid="true">' in refused.text  # the choice kept, marked
