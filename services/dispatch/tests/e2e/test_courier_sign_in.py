# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier signs in by an e-mailed one-time link, through the running dispatch (API and
worker processes, Kafka and PostgreSQL between them, a real SMTP server on loopback): the link
arrives at the address the association gave, gives a courier token once that opens their
tour, and asking tells nobody who rides here."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import Databases
from tests.support.local_stack import RunningTown, random_town, start_town
from tests.support.mailbox import Mailbox
from tests.support.polling import wait_until

pytestmark = pytest.mark.e2e

WEB = "https://web.town.example"
LINK = re.compile(re.escape(WEB) + r"/courier/sign-in\?courier=([0-9a-f-]+)&token=([A-Za-z0-9_-]+)")


@pytest.fixture(scope="module")
def town(databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[RunningTown]:
    """A dispatch that mails to the test's mailbox, its links leading to the web front."""
    name = random_town()
    env = {"dispatch": {**mailbox.env, "DOWNTOWN_WEB_URL": WEB}}
    running = start_town(
        name, ["dispatch"], lambda service: databases.create(name, service), tmp_path_factory.mktemp("dispatch"), env
    )
    try:
        yield running
    finally:
        running.stop()


def _association(town: RunningTown, path: str, body: Any) -> Any:
    response = httpx.post(
        f"{town['dispatch'].api}{path}", json=body, headers={"Authorization": f"Bearer {town.association_token}"}
    )
    assert response.status_code == 201, response.text
    return response.json()


def _courier(town: RunningTown, email: str) -> str:
    """A courier with ``email``, once the roster knows their service (where addresses are looked for)."""
    service_id = _association(town, "/courier-services", {"name": "Radkurier Dülmen", "phone": "02594 1"})[
        "courier_service_id"
    ]
    body = {"display_name": "Anna", "vehicle": "cargo_bike", "capacity": 8, "email": email}
    courier_id = str(_association(town, f"/courier-services/{service_id}/couriers", body)["courier_id"])
    headers = {"Authorization": f"Bearer {town.association_token}"}
    wait_until(
        lambda: httpx.post(f"{town['dispatch'].api}/couriers/{courier_id}/token", headers=headers).status_code == 201,
        what="the roster knows the courier",
    )
    return courier_id


def _ask(town: RunningTown, email: str, language: str = "de") -> httpx.Response:
    return httpx.post(f"{town['dispatch'].api}/couriers/sign-in-links", json={"email": email, "language": language})


def test_a_courier_signs_in_by_the_mailed_link_once(town: RunningTown, mailbox: Mailbox) -> None:
    api = town["dispatch"].api
    email = f"rad-{uuid.uuid4().hex[:12]}@example.de"
    courier_id = _courier(town, email)

    asked = _ask(town, email.upper(), "en")  # the address however it is spelt
    assert asked.status_code == 202, asked.text
    (mail,) = wait_until(lambda: mailbox.to(email), seconds=60, what=f"the sign-in mail to {email}")
    assert mail["Subject"] == "Your sign-in link for today's tours"
    assert "<kurier@" in str(mail["From"])
    found = LINK.search(str(mail.get_content()))
    assert found is not None and found.group(1) == courier_id, mail.get_content()

    link = {"courier_id": courier_id, "token": found[2]}
    session = httpx.post(f"{api}/couriers/sessions", json=link)
    assert session.status_code == 201, session.text
    assert session.json()["courier_id"] == courier_id
    tour = httpx.get(f"{api}/couriers/me/tour", headers={"Authorization": f"Bearer {session.json()['token']}"})
    assert tour.status_code == 200, tour.text

    again = httpx.post(f"{api}/couriers/sessions", json=link)
    assert again.status_code == 403 and "used already" in again.json()["detail"]
    assert "token" not in again.json()
    wrong = httpx.post(f"{api}/couriers/sessions", json={"courier_id": courier_id, "token": "x" * 43})
    assert wrong.status_code == 403 and "not valid" in wrong.json()["detail"]


def test_an_unknown_address_is_answered_alike_and_sent_nothing(town: RunningTown, mailbox: Mailbox) -> None:
    known = f"rad-{uuid.uuid4().hex[:12]}@example.de"
    _courier(town, known)
    unknown = f"niemand-{uuid.uuid4().hex[:12]}@example.de"
    answers = [_ask(town, unknown), _ask(town, known)]
    assert [answer.status_code for answer in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    wait_until(lambda: mailbox.to(known), seconds=60, what="the known address's mail")  # sent after the unknown's turn
    assert mailbox.to(unknown) == []


def test_asking_too_often_for_one_address_is_throttled(town: RunningTown) -> None:
    email = f"viel-{uuid.uuid4().hex[:12]}@example.de"
    answers = [_ask(town, email).status_code for _ in range(6)]
    assert answers == [202] * 5 + [429]
    respelt = _ask(town, email.replace("@", "+neu@"))  # another spelling of the same mailbox
    assert respelt.status_code == 429 and int(respelt.headers["Retry-After"]) > 0


def test_a_courier_who_signs_out_is_refused_with_every_older_token_and_a_new_one_works(town: RunningTown) -> None:
    api, association = town["dispatch"].api, {"Authorization": f"Bearer {town.association_token}"}
    courier_id = _courier(town, f"raus-{uuid.uuid4().hex[:12]}@example.de")

    def token() -> dict[str, str]:
        issued = httpx.post(f"{api}/couriers/{courier_id}/token", headers=association)
        assert issued.status_code == 201, issued.text
        return {"Authorization": f"Bearer {issued.json()['token']}"}

    phone, other_phone = token(), token()
    assert httpx.get(f"{api}/couriers/me/tour", headers=phone).status_code == 200

    signed_out = httpx.delete(f"{api}/couriers/sessions", headers=phone)
    assert signed_out.status_code == 204, signed_out.text

    def refused(headers: dict[str, str]) -> bool:
        return httpx.get(f"{api}/couriers/me/tour", headers=headers).status_code == 401

    wait_until(lambda: refused(phone) and refused(other_phone), what="the roster hearing of the sign-out")
    refused_answer = httpx.get(f"{api}/couriers/me/tour", headers=phone)
    assert "signed out" in refused_answer.json()["detail"], refused_answer.text
    assert httpx.delete(f"{api}/couriers/sessions", headers=phone).status_code == 401  # once is enough
    assert httpx.get(f"{api}/couriers/me/tour", headers=token()).status_code == 200  # a new session works
