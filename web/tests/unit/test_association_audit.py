# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's audit page over services answering from a table: each service's recent
projection rebuilds with what they read, how long they took, each table's rows live and
rebuilt, and "match" or "differ" in words (not only in colour); a service that does not
answer leaves its section saying so; a token the services refuse signs the association out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from downtown_web.asgi import create_app
from downtown_web.routes.association_audit import rebuild_of
from downtown_web.services import ServiceProblem
from downtown_web.settings import WebSettings
from tests.support.fake_services import SERVICE_NAMES, FakeService, FakeServices

TOKEN = "association-testtown-" + "a" * 32


def rebuild(projection: str, *, live: int, rebuilt: int, swapped: bool, **extra: Any) -> dict[str, Any]:
    matches = live == rebuilt
    return {
        "id": 1,
        "projection": projection,
        "started_at": "2026-12-07T09:00:00+00:00",
        "finished_at": "2026-12-07T09:00:03+00:00",
        "events_read": 12_345,
        "undecodable": 0,
        "seconds": 2.54,
        "tables": [
            {
                "table": f"{projection}_rows",
                "live_rows": live,
                "rebuilt_rows": rebuilt,
                "live_checksum": "a",
                "rebuilt_checksum": "a" if matches else "b",
                "matches": matches,
            }
        ],
        "matches": matches,
        "swapped": swapped,
        "forced": False,
        "note": "",
        **extra,
    }


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(WebSettings(town="testtown")), headers={"Accept-Language": "en"}) as test_client:
        yield test_client


def answering(**answers: Any) -> FakeServices:
    """Each service answers every call with its answer here (its rebuilds), none by default."""
    return FakeServices(**{name: FakeService(otherwise=answers.get(name, [])) for name in SERVICE_NAMES})


def use(client: TestClient, services: FakeServices) -> FakeServices:
    client.app.state.services = services  # type: ignore[attr-defined]
    client.cookies.set("association", TOKEN, path="/association")
    return services


def test_without_the_associations_token_the_page_asks_to_sign_in(client: TestClient) -> None:
    answer = client.get("/association/audit", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/association/sign-in"


def test_each_services_rebuilds_say_in_words_whether_they_matched(client: TestClient) -> None:
    failed = {
        **rebuild("town_directory", live=0, rebuilt=0, swapped=False),
        "tables": [],
        "matches": False,
        "note": "failed: ConnectionError: the broker went away",
    }
    services = use(
        client,
        answering(
            catalog=[rebuild("town_catalog", live=1_204, rebuilt=1_204, swapped=True), failed],
            ordering=[rebuild("order_overview", live=7, rebuilt=8, swapped=False)],
            vouchers=ServiceProblem(503, "Unavailable", "vouchers did not answer"),
        ),
    )
    page = client.get("/association/audit")
    assert page.status_code == 200
    text = page.text
    catalog, ordering, vouchers, dispatch = text.split("<h2 ")[1:]
    assert "Catalogue and directory" in catalog and "town_catalog" in catalog and "12,345" in catalog
    assert "town_catalog_rows: 1,204 / 1,204" in catalog and "2.5 s" in catalog
    assert catalog.count("match</strong>") == 1 and "not compared</strong>" in catalog
    assert "failed: ConnectionError: the broker went away" in catalog
    assert "order_overview_rows: 7 / 8 (differ)" in ordering and "differ</strong>" in ordering
    assert "match</strong>" not in ordering and "<td>no</td>" in ordering
    assert "is not answering" in vouchers
    assert "No rebuild recorded yet." in dispatch
    asked = services.catalog.calls[0]
    assert asked.path == "/projections/rebuilds" and asked.headers == {"Authorization": f"Bearer {TOKEN}"}
    assert asked.options["params"] == {"limit": 20}


def test_the_page_reads_in_german(client: TestClient) -> None:
    use(client, answering(catalog=[rebuild("town_catalog", live=1_204, rebuilt=1_204, swapped=True)]))
    text = client.get("/association/audit", headers={"Accept-Language": "de"}).text
    assert "Prüfung: Neuaufbau der Projektionen" in text and "stimmen überein" in text
    assert "1.204 / 1.204" in text and "2,5 s" in text and "12.345" in text


def test_a_token_the_services_refuse_signs_the_association_out(client: TestClient) -> None:
    use(client, answering(dispatch=ServiceProblem(401, "Not authenticated", "unknown token")))
    answer = client.get("/association/audit", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/association/sign-in"
    assert 'association=""' in answer.headers["set-cookie"]


def test_a_long_rebuild_is_said_in_whole_seconds() -> None:
    assert rebuild_of({**rebuild("x", live=1, rebuilt=1, swapped=True), "seconds": 312.46}, "en").took == "312"
