# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant signs in by an e-mailed one-time link, through the running catalog (API and
worker processes, Kafka and PostgreSQL between them, a real SMTP server on loopback): the link
arrives at the profile's address, gives a token once, and asking tells nobody who trades here."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from conftest import Databases
from tests.support.catalog_client import register
from tests.support.local_stack import ServiceInstance, random_town, running_catalog
from tests.support.mailbox import Mailbox
from tests.support.polling import wait_until

WEB = "https://web.town.example"
LINK = re.compile(re.escape(WEB) + r"/merchant/sign-in\?merchant=([0-9a-f-]+)&token=([A-Za-z0-9_-]+)")


@pytest.fixture(scope="module")
def catalog(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[ServiceInstance]:
    """A catalog that mails to the test's mailbox, its links leading to the web front."""
    town = random_town()
    env = {**mailbox.env, "DOWNTOWN_WEB_URL": WEB}
    with running_catalog(town, databases.create(town, "catalog"), tmp_path_factory.mktemp("catalog"), env) as instance:
        yield instance


def _ask(catalog: ServiceInstance, email: str, language: str = "de") -> httpx.Response:
    return httpx.post(f"{catalog.api}/merchants/sign-in-links", json={"email": email, "language": language})


def test_a_merchant_signs_in_by_the_mailed_link_once(catalog: ServiceInstance, mailbox: Mailbox) -> None:
    email = f"laden-{uuid.uuid4().hex[:12]}@example.de"
    merchant_id, _ = register(catalog, email=email)
    wait_until(
        lambda: httpx.get(f"{catalog.api}/directory/{merchant_id}").status_code == 200, what="the directory entry"
    )

    asked = _ask(catalog, email.upper(), "en")  # the address however it is spelt
    assert asked.status_code == 202, asked.text
    (mail,) = wait_until(lambda: mailbox.to(email), seconds=60, what=f"the sign-in mail to {email}")
    assert mail["Subject"] == "Sign in to Weinhandlung Böckmann"
    found = LINK.search(str(mail.get_content()))
    assert found is not None and found.group(1) == merchant_id, mail.get_content()

    link = {"merchant_id": merchant_id, "token": found[2]}
    with ThreadPoolExecutor(4) as racers:  # the link opened on four devices at once: one session
        answers = list(racers.map(lambda _: httpx.post(f"{catalog.api}/merchants/sessions", json=link), range(4)))
    assert sorted(answer.status_code for answer in answers) == [201, 403, 403, 403], [a.text for a in answers]
    (session,) = (answer for answer in answers if answer.status_code == 201)
    auth = {"Authorization": f"Bearer {session.json()['token']}"}
    me = httpx.get(f"{catalog.api}/merchants/me", headers=auth)
    assert me.status_code == 200 and me.json()["merchant_id"] == merchant_id

    again = httpx.post(f"{catalog.api}/merchants/sessions", json=link)
    assert again.status_code == 403 and "used already" in again.json()["detail"]
    assert "token" not in again.json()
    wrong = httpx.post(f"{catalog.api}/merchants/sessions", json={"merchant_id": merchant_id, "token": "x" * 43})
    assert wrong.status_code == 403 and "not valid" in wrong.json()["detail"]


def test_an_unknown_address_is_answered_alike_and_sent_nothing(catalog: ServiceInstance, mailbox: Mailbox) -> None:
    known = f"laden-{uuid.uuid4().hex[:12]}@example.de"
    merchant_id, _ = register(catalog, email=known)
    wait_until(
        lambda: httpx.get(f"{catalog.api}/directory/{merchant_id}").status_code == 200, what="the directory entry"
    )
    unknown = f"niemand-{uuid.uuid4().hex[:12]}@example.de"
    answers = [_ask(catalog, unknown), _ask(catalog, known)]
    assert [answer.status_code for answer in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    wait_until(lambda: mailbox.to(known), seconds=60, what="the known address's mail")  # sent after the unknown's turn
    assert mailbox.to(unknown) == []


def test_asking_too_often_for_one_address_is_throttled(catalog: ServiceInstance) -> None:
    email = f"viel-{uuid.uuid4().hex[:12]}@example.de"
    answers = [_ask(catalog, email).status_code for _ in range(6)]
    assert answers == [202] * 5 + [429]
    respelt = _ask(catalog, email.replace("@", "+neu@"))  # another spelling of the same mailbox
    assert respelt.status_code == 429 and int(respelt.headers["Retry-After"]) > 0
