# SPDX-License-Identifier: AGPL-3.0-or-later
"""What an attacker or a careless client tries against the running ordering API, kept found.

Driven over HTTP against the session's ordering town (catalog, vouchers and ordering as their
own processes, with Kafka and PostgreSQL between them). Where a test needs the API as it
runs behind the town's ingress, it starts another API process of the same instance with
``DOWNTOWN_TRUSTED_PROXY_HOPS=1`` and plays the ingress itself, appending the client's address.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.local_stack import RunningTown, ServiceInstance, free_port
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import (
    GuestBasket,
    Shop,
    delivery,
    open_basket,
    open_shop,
    pickup,
    put,
    town_rows,
)
from tests.support.polling import wait_until

PROBLEM = "application/problem+json"
BEHIND_THE_INGRESS = {
    "DOWNTOWN_TRUSTED_PROXY_HOPS": "1",
    # What the Kubernetes manifests told uvicorn before issue 14: it then took the leftmost
    # X-Forwarded-For entry (the client's own words) for the client. The kit now decides.
    "FORWARDED_ALLOW_IPS": "*",
}


@contextlib.contextmanager
def replica(ordering: ServiceInstance, **settings: str) -> Iterator[str]:
    """Another API process of the town's ordering (same database), with other ``settings``."""
    port = free_port()
    env = {**ordering.env, "DOWNTOWN_HTTP_PORT": str(port), **settings}
    with (ordering.logs / f"replica-{port}.log").open("ab") as log:
        process = subprocess.Popen(
            [Path(sys.executable).parent / "ordering-api"], env=env, cwd=ordering.logs, stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: _ready(url, process), seconds=90, what="the ordering API replica getting ready")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def _ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, "the ordering API replica exited"
    try:
        return httpx.get(f"{url}/healthz/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def behind_the_ingress(ordering_town: RunningTown) -> Iterator[str]:
    with replica(ordering_town["ordering"], **BEHIND_THE_INGRESS) as url:
        yield url


def a_client() -> str:
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def problem(response: httpx.Response, status: int, *words: str) -> dict[str, object]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM, response.headers
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["title"]
    for word in words:
        assert word in str(body["detail"]), body
    return body


def clear_of_a_window_edge(seconds: int, margin: float = 5.0) -> None:
    """Wait (at most ``margin`` seconds, rarely) until a throttle window of ``seconds`` has room."""
    left = seconds - time.time() % seconds
    if left < margin:
        time.sleep(left + 0.1)


def test_sign_in_links_are_throttled_per_client_whatever_it_writes_into_x_forwarded_for(
    behind_the_ingress: str,
) -> None:
    """Sign-in links were as free as the vouchers' balance look-ups: each request naming another
    client in X-Forwarded-For had a budget of its own. Only the entry the ingress appended (the
    rightmost) counts, so one client asking for links to 21 addresses gets its 429."""
    limit = 20  # sign-in links per client per hour
    clear_of_a_window_edge(3600, margin=60)
    client = a_client()
    answers = []
    with httpx.Client(timeout=30) as http:
        for _ in range(limit + 1):
            forged = f"{a_client()}, {a_client()}, {client}"
            address = f"kundin-{uuid.uuid4().hex[:12]}@example.de"  # each address well within its own limit
            answers.append(
                http.post(
                    f"{behind_the_ingress}/sign-in-links", json={"email": address}, headers={"X-Forwarded-For": forged}
                )
            )

    assert [answer.status_code for answer in answers] == [202] * limit + [429], [a.text for a in answers[-2:]]
    refused = problem(answers[-1], 429)
    assert int(answers[-1].headers["retry-after"]) >= 1, refused
    other = httpx.post(
        f"{behind_the_ingress}/sign-in-links",
        json={"email": f"kunde-{uuid.uuid4().hex[:12]}@example.de"},
        headers={"X-Forwarded-For": f"{client}, {a_client()}"},  # the guesser's address, forged: someone else
    )
    assert other.status_code == 202, other.text


def test_the_workers_port_serves_its_health_and_nothing_of_fausts(ordering_town: RunningTown) -> None:
    """faust's /router/ (the cluster's members) and /table/ (its tables) answered anyone."""
    worker = ordering_town["ordering"].worker
    for path in ("/router/", "/table/", "/graph/", "/stats/", "/", "/figures/live"):
        problem(httpx.get(f"{worker}{path}"), 404, "this port serves")
    assert httpx.get(f"{worker}/healthz/ready").status_code == 200


# --- a hostile customer: stock hoarding, sign-in links, tokens (issue 14) ----------------------

PER_CLIENT, PER_ADDRESS = 3, 2
GUARDED = {
    **BEHIND_THE_INGRESS,
    "DOWNTOWN_GUEST_CHECKOUTS_PER_CLIENT_HOUR": str(PER_CLIENT),
    "DOWNTOWN_GUEST_CHECKOUTS_PER_ADDRESS_HOUR": str(PER_ADDRESS),
}


@pytest.fixture(scope="module")
def guarded(ordering_town: RunningTown) -> Iterator[str]:
    """An API replica behind the ingress whose guests check out three times an hour per
    client and twice per address (the session's town sets the limits out of reach)."""
    with replica(ordering_town["ordering"], **GUARDED) as url:
        yield url


def guest_checkout(
    api: str,
    town: RunningTown,
    shop: Shop,
    *,
    client: str,
    email: str,
    quantity: int = 1,
    choice: dict[str, Any] | None = None,
    forwarded: str | None = None,
) -> tuple[httpx.Response, GuestBasket]:
    basket = open_basket(town)
    assert put(town, basket, next(iter(shop.offers.values())), quantity).status_code == 200
    body = {"customer": {"name": "Harald Hamster", "email": email}, "merchants": {shop.merchant_id: choice or pickup()}}
    headers = {**basket.headers, "Idempotency-Key": str(uuid.uuid4()), "X-Forwarded-For": forwarded or client}
    return httpx.post(f"{api}/baskets/{basket.basket_id}/checkout", json=body, headers=headers, timeout=30), basket


def orders_of(town: RunningTown, shop: Shop) -> int:
    rows = town_rows(
        town,
        "SELECT count(*) AS n FROM events "
        "WHERE event_type = 'downtown.ordering.OrderPlaced' AND data->>'merchant_id' = %s",
        (shop.merchant_id,),
    )
    return int(rows[0]["n"])


def stock_of(town: RunningTown, shop: Shop) -> int:
    answer = httpx.get(f"{town['catalog'].api}/offers/mine/{next(iter(shop.offers.values()))}", headers=shop.auth)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["stock"])


def hoarding_refused(answer: httpx.Response, basket: GuestBasket, town: RunningTown) -> None:
    """429 with Retry-After and the reason; the basket was not checked out: nothing reserved."""
    problem(answer, 429, "too many orders as a guest")
    assert int(answer.headers["retry-after"]) >= 1
    shown = httpx.get(f"{town['ordering'].api}/baskets/{basket.basket_id}", headers=basket.headers).json()
    assert not shown["checked_out"] and shown["order_ids"] == []


def test_a_guest_checks_out_only_so_often_for_one_address_however_it_is_spelt(
    ordering_town: RunningTown, guarded: str
) -> None:
    """A guest held every unit of an offer until the merchant's answer time ran out, and did it
    again: per address (its mailbox, however spelt) a guest checks out twice an hour here."""
    town = ordering_town
    shop = open_shop(town, "Mühle Korn", {"Mehl": ("2,00", 100)})
    name = f"hanna{uuid.uuid4().hex[:8]}"
    spellings = [
        f"{name}@example.de",
        f"{name.capitalize()}+hamster@Example.DE",
        ".".join(name) + "@example.de",
        "h\u0430" + name[2:] + "@example.de",  # a Cyrillic а
    ]
    clear_of_a_window_edge(3600, margin=60)
    answers = [guest_checkout(guarded, town, shop, client=a_client(), email=email) for email in spellings]
    assert [answer.status_code for answer, _ in answers] == [201] * PER_ADDRESS + [429] * 2, [
        answer.text for answer, _ in answers
    ]
    for answer, basket in answers[PER_ADDRESS:]:
        hoarding_refused(answer, basket, town)
    assert orders_of(town, shop) == PER_ADDRESS
    wait_until(lambda: stock_of(town, shop) == 100 - PER_ADDRESS, what="the placed orders' stock reserved, no more")


def test_a_guest_checks_out_only_so_often_from_one_client_whatever_it_forwards(
    ordering_town: RunningTown, guarded: str
) -> None:
    town = ordering_town
    shop = open_shop(town, "Kiosk Eck", {"Zeitung": ("1,50", 100)})
    client, tag = a_client(), uuid.uuid4().hex[:8]
    clear_of_a_window_edge(3600, margin=60)
    answers = [
        # A new address every time, and made-up clients written left of what the ingress appended.
        guest_checkout(
            guarded, town, shop, client=client, email=f"gast{n}.{tag}@example.org", forwarded=f"{a_client()}, {client}"
        )
        for n in range(PER_CLIENT + 2)
    ]
    assert [answer.status_code for answer, _ in answers] == [201] * PER_CLIENT + [429] * 2, [
        answer.text for answer, _ in answers
    ]
    for answer, basket in answers[PER_CLIENT:]:
        hoarding_refused(answer, basket, town)
    assert orders_of(town, shop) == PER_CLIENT
    wait_until(lambda: stock_of(town, shop) == 100 - PER_CLIENT, what="the placed orders' stock reserved, no more")


def test_one_guest_checkout_holds_only_so_much_and_where_and_when_are_checked(
    ordering_town: RunningTown, guarded: str
) -> None:
    """The whole stock, one unit past a guest's share (20), a postal code cut short or padded
    (a zone matched it by prefix), a pickup in 2099: refused, and nothing written."""
    town = ordering_town
    shop = open_shop(town, "Weinkeller Rebe", {"Riesling": ("9,00", 500)})
    in_2099 = {
        "fulfilment": {
            "method": "pickup",
            "window": {"starts_at": "2099-06-01T10:00:00+02:00", "ends_at": "2099-06-01T11:00:00+02:00"},
        },
        "payment": {"method": "at_pickup"},
    }
    probes: dict[str, dict[str, Any]] = {
        "the whole stock": {"quantity": 500},
        "one past a guest's share": {"quantity": 21},
        "a postal code cut short": {"choice": delivery("4814")},
        "a postal code padded": {"choice": delivery("481439999")},
        "a pickup in 2099": {"choice": in_2099},
    }
    for why, probe in probes.items():
        address = f"{uuid.uuid4().hex[:12]}@example.org"
        answer, basket = guest_checkout(guarded, town, shop, client=a_client(), email=address, **probe)
        problem(answer, 422)
        shown = httpx.get(f"{town['ordering'].api}/baskets/{basket.basket_id}", headers=basket.headers).json()
        assert not shown["checked_out"], why
    assert orders_of(town, shop) == 0
    fair, _ = guest_checkout(guarded, town, shop, client=a_client(), email="fair@example.org", quantity=20)
    assert fair.status_code == 201, fair.text


def sign_in_link(api: str, mailbox: Mailbox, email: str) -> tuple[str, str]:
    """Ask for a link and read it from the mail: (account id, token)."""
    seen = len(mailbox.to(email))
    answer = httpx.post(f"{api}/sign-in-links", json={"email": email}, headers={"X-Forwarded-For": a_client()})
    assert answer.status_code == 202, answer.text
    mails = wait_until(lambda: mailbox.to(email)[seen:], seconds=60, what=f"the sign-in mail to {email}")
    found = re.search(r"/sign-in\?account=([0-9a-f-]+)&token=([A-Za-z0-9_-]+)", str(mails[0].get_content()))
    assert found, mails[0].get_content()
    return found.group(1), found.group(2)


def sign_in(api: str, link: tuple[str, str]) -> httpx.Response:
    account_id, token = link
    body = {"account_id": account_id, "token": token}
    return httpx.post(f"{api}/sessions", json=body, headers={"X-Forwarded-For": a_client()})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_used_link_retires_the_older_ones_and_signed_out_tokens_are_refused(
    ordering_town: RunningTown, guarded: str, mailbox: Mailbox
) -> None:
    """An older sign-in link still worked after a newer one was used (up to five open), and a
    customer token could be neither signed out nor revoked. (Through the replica behind the
    ingress: each request its own client, whatever else of the session asked for links.)"""
    api, email = guarded, f"kundin-{uuid.uuid4().hex[:8]}@example.de"
    older = sign_in_link(api, mailbox, email)
    newer = sign_in_link(api, mailbox, email)
    phone = sign_in(api, newer)
    assert phone.status_code == 201, phone.text
    problem(sign_in(api, older), 403, "newer sign-in link was used")
    laptop = sign_in(api, sign_in_link(api, mailbox, email))
    assert laptop.status_code == 201, laptop.text
    on_phone, on_laptop = bearer(phone.json()["customer_token"]), bearer(laptop.json()["customer_token"])
    assert httpx.get(f"{api}/orders", headers=on_phone).status_code == 200

    assert httpx.delete(f"{api}/sessions/current", headers=on_phone).status_code == 204
    problem(httpx.get(f"{api}/orders", headers=on_phone), 401, "signed out")
    assert httpx.get(f"{api}/orders", headers=on_laptop).status_code == 200  # the other device stays signed in

    assert httpx.delete(f"{api}/sessions", headers=on_laptop).status_code == 204
    problem(httpx.get(f"{api}/orders", headers=on_laptop), 401, "signed out")
    again = sign_in(api, sign_in_link(api, mailbox, email))
    assert again.status_code == 201, again.text
    assert httpx.get(f"{api}/orders", headers=bearer(again.json()["customer_token"])).status_code == 200
    association = {"Authorization": f"Bearer {ordering_town.association_token}"}
    problem(httpx.delete(f"{api}/sessions", headers=association), 403)


def test_sign_in_links_are_limited_per_mailbox_however_the_address_is_spelt(guarded: str) -> None:
    name = f"otto{uuid.uuid4().hex[:8]}"
    spellings = [f"{name}+{n}@example.de" for n in range(4)] + [
        f"{name.upper()}@EXAMPLE.DE",
        f"o.{name[1:]}@example.de",
    ]
    clear_of_a_window_edge(3600, margin=60)
    answers = [
        httpx.post(f"{guarded}/sign-in-links", json={"email": email}, headers={"X-Forwarded-For": a_client()})
        for email in spellings
    ]
    assert [answer.status_code for answer in answers] == [202] * 5 + [429], answers[-1].text
    problem(answers[-1], 429)
