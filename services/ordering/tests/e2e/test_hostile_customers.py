"""A hostile customer against ordering's checkout and sign-in (regressions from issue 14).

A guest held every unit of an offer until the merchant's answer time ran out, and did it
again: a guest's checkouts are now limited per client and per e-mail address (however it is
spelt), and one checkout reserves only so much of a product. An older sign-in link still
worked after a newer one was used, and a customer token could be neither signed out nor
revoked. Delivery to a cut-short postal code and pickup in 2099 were accepted.

The town is this module's own: low checkout limits, and one trusted proxy hop, so that each
probe names its client in ``X-Forwarded-For`` as the town's proxy would (the rightmost
entry; what a client writes to the left of it is ignored). Throttle windows are hours: a
probe that straddles the hour's turn (its counts start again) is run once more.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from conftest import Databases, ordering_town_running
from tests.support.local_stack import RunningTown
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
    wait_until,
)

PER_CLIENT, PER_ADDRESS = 3, 2
T = TypeVar("T")


@pytest.fixture(scope="module")
def guarded_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[RunningTown]:
    """Guests check out three times an hour per client, twice per address, here."""
    with ordering_town_running(
        databases,
        tmp_path_factory.mktemp("guarded-town"),
        mailbox,
        DOWNTOWN_GUEST_CHECKOUTS_PER_CLIENT_HOUR=str(PER_CLIENT),
        DOWNTOWN_GUEST_CHECKOUTS_PER_ADDRESS_HOUR=str(PER_ADDRESS),
        DOWNTOWN_TRUSTED_PROXY_HOPS="1",
    ) as running:
        yield running


def a_client() -> str:
    """A made-up client address (198.18.0.0/15, set aside for tests)."""
    return f"198.{random.randint(18, 19)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def in_one_hour(probe: Callable[[str], T]) -> T:
    """``probe(tag)`` with all its tries in one throttle window: if the hour turned meanwhile,
    once more with new clients and addresses (made of the new tag)."""
    for _ in range(2):
        hour = int(time.time() // 3600)
        result = probe(uuid.uuid4().hex[:8])
        if int(time.time() // 3600) == hour:
            return result
    raise AssertionError("the hour turned during both tries")


def guest_checkout(
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
    headers = {
        **basket.headers,
        "Idempotency-Key": str(uuid.uuid4()),
        "X-Forwarded-For": forwarded or client,  # the proxy appended the client it saw, rightmost
    }
    url = f"{town['ordering'].api}/baskets/{basket.basket_id}/checkout"
    return httpx.post(url, json=body, headers=headers, timeout=30), basket


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


def assert_throttled(answer: httpx.Response, basket: GuestBasket, town: RunningTown) -> None:
    assert answer.status_code == 429, answer.text
    assert int(answer.headers["Retry-After"]) >= 1
    assert "too many orders as a guest" in answer.json()["detail"]
    shown = httpx.get(f"{town['ordering'].api}/baskets/{basket.basket_id}", headers=basket.headers).json()
    assert not shown["checked_out"] and shown["order_ids"] == []


# --- stock hoarding -----------------------------------------------------------------------


def test_a_guest_checks_out_only_so_often_for_one_address_however_it_is_spelt(guarded_town: RunningTown) -> None:
    town = guarded_town
    shop = open_shop(town, "Mühle Korn", {"Mehl": ("2,00", 100)})

    def probe(tag: str) -> tuple[int, int]:
        name = f"hanna{tag}"
        spellings = [
            f"{name}@example.de",
            f"{name.capitalize()}+hamster@Example.DE",
            ".".join(name) + "@example.de",
            f"h\u0430nna{tag}@example.de",  # a Cyrillic а
        ]
        before = orders_of(town, shop)
        answers = [guest_checkout(town, shop, client=a_client(), email=email) for email in spellings]
        assert [answer.status_code for answer, _ in answers] == [201] * PER_ADDRESS + [429] * 2, [
            answer.text for answer, _ in answers
        ]
        for answer, basket in answers[PER_ADDRESS:]:
            assert_throttled(answer, basket, town)
        return before, orders_of(town, shop)

    before, after = in_one_hour(probe)
    assert after - before == PER_ADDRESS  # the refused ones placed no order: nothing was reserved for them
    wait_until(lambda: stock_of(town, shop) == 100 - after, what="the placed orders' stock reserved, and no more")


def test_a_guest_checks_out_only_so_often_from_one_client_whatever_it_forwards(guarded_town: RunningTown) -> None:
    town = guarded_town
    shop = open_shop(town, "Kiosk Eck", {"Zeitung": ("1,50", 100)})

    def probe(tag: str) -> tuple[int, int]:
        client = a_client()
        before = orders_of(town, shop)
        answers = [
            # A new address every time, and a made-up "client" written left of what the proxy saw.
            guest_checkout(
                town, shop, client=client, email=f"gast{n}.{tag}@example.org", forwarded=f"{a_client()}, {client}"
            )
            for n in range(PER_CLIENT + 2)
        ]
        assert [answer.status_code for answer, _ in answers] == [201] * PER_CLIENT + [429] * 2, [
            answer.text for answer, _ in answers
        ]
        for answer, basket in answers[PER_CLIENT:]:
            assert_throttled(answer, basket, town)
        return before, orders_of(town, shop)

    before, after = in_one_hour(probe)
    assert after - before == PER_CLIENT
    wait_until(lambda: stock_of(town, shop) == 100 - after, what="the placed orders' stock reserved, and no more")


def test_one_guest_checkout_holds_only_so_much_of_a_product_and_where_and_when_are_checked(
    guarded_town: RunningTown,
) -> None:
    town = guarded_town
    shop = open_shop(town, "Weinkeller Rebe", {"Riesling": ("9,00", 500)})
    before = orders_of(town, shop)
    probes = {
        "the whole stock": {"quantity": 500},
        "one more than a guest's share": {"quantity": 21},
        "a postal code cut short": {"choice": delivery("4814")},
        "a postal code padded": {"choice": delivery("481439999")},
        "a pickup in 2099": {
            "choice": {
                "fulfilment": {
                    "method": "pickup",
                    "window": {"starts_at": "2099-06-01T10:00:00+02:00", "ends_at": "2099-06-01T11:00:00+02:00"},
                },
                "payment": {"method": "at_pickup"},
            }
        },
    }
    for why, probe in probes.items():
        answer, basket = guest_checkout(
            town, shop, client=a_client(), email=f"{uuid.uuid4().hex[:12]}@example.org", **probe
        )
        assert answer.status_code == 422, (why, answer.text)
        assert answer.json()["detail"], why
        assert not httpx.get(f"{town['ordering'].api}/baskets/{basket.basket_id}", headers=basket.headers).json()[
            "checked_out"
        ]
    assert orders_of(town, shop) == before
    fair, _ = guest_checkout(town, shop, client=a_client(), email="fair@example.org", quantity=20)
    assert fair.status_code == 201, fair.text


# --- sign-in links and customer tokens --------------------------------------------------------


def sign_in_link(town: RunningTown, mailbox: Mailbox, email: str, *, client: str | None = None) -> tuple[str, str]:
    """Ask for a link and read it from the mail: (account id, token)."""
    seen = len(mailbox.to(email))
    headers = {"X-Forwarded-For": client or a_client()}
    answer = httpx.post(f"{town['ordering'].api}/sign-in-links", json={"email": email}, headers=headers)
    assert answer.status_code == 202, answer.text
    mails = wait_until(lambda: mailbox.to(email)[seen:], seconds=60, what=f"the sign-in mail to {email}")
    found = re.search(r"/sign-in\?account=([0-9a-f-]+)&token=([A-Za-z0-9_-]+)", str(mails[0].get_content()))
    assert found, mails[0].get_content()
    return found.group(1), found.group(2)


def sign_in(town: RunningTown, link: tuple[str, str]) -> httpx.Response:
    account_id, token = link
    return httpx.post(f"{town['ordering'].api}/sessions", json={"account_id": account_id, "token": token})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def my_orders(town: RunningTown, token: str) -> int:
    return httpx.get(f"{town['ordering'].api}/orders", headers=bearer(token)).status_code


def test_a_used_link_retires_the_older_ones_and_signed_out_tokens_are_refused(
    guarded_town: RunningTown, mailbox: Mailbox
) -> None:
    town, email = guarded_town, f"kundin-{uuid.uuid4().hex[:8]}@example.de"
    older = sign_in_link(town, mailbox, email)
    newer = sign_in_link(town, mailbox, email)
    phone = sign_in(town, newer)
    assert phone.status_code == 201, phone.text
    replayed = sign_in(town, older)
    assert replayed.status_code == 403 and "newer sign-in link was used" in replayed.json()["detail"], replayed.text
    laptop = sign_in(town, sign_in_link(town, mailbox, email))
    assert laptop.status_code == 201, laptop.text
    on_phone, on_laptop = phone.json()["customer_token"], laptop.json()["customer_token"]
    assert my_orders(town, on_phone) == my_orders(town, on_laptop) == 200

    out = httpx.delete(f"{town['ordering'].api}/sessions/current", headers=bearer(on_phone))
    assert out.status_code == 204, out.text
    refused = httpx.get(f"{town['ordering'].api}/orders", headers=bearer(on_phone))
    assert refused.status_code == 401 and "signed out" in refused.json()["detail"], refused.text
    assert my_orders(town, on_laptop) == 200  # the other device stays signed in

    everywhere = httpx.delete(f"{town['ordering'].api}/sessions", headers=bearer(on_laptop))
    assert everywhere.status_code == 204, everywhere.text
    assert my_orders(town, on_laptop) == 401
    again = sign_in(town, sign_in_link(town, mailbox, email))
    assert again.status_code == 201 and my_orders(town, again.json()["customer_token"]) == 200
    association = {"Authorization": f"Bearer {town.association_token}"}
    assert httpx.delete(f"{town['ordering'].api}/sessions", headers=association).status_code == 403


def test_sign_in_links_are_limited_per_mailbox_however_the_address_is_spelt(guarded_town: RunningTown) -> None:
    town = guarded_town

    def probe(tag: str) -> list[int]:
        name = f"otto{tag}"
        spellings = [f"{name}+{n}@example.de" for n in range(4)] + [
            f"{name.upper()}@EXAMPLE.DE",
            f"o.{name[1:]}@example.de",
        ]
        return [
            httpx.post(
                f"{town['ordering'].api}/sign-in-links", json={"email": email}, headers={"X-Forwarded-For": a_client()}
            ).status_code
            for email in spellings
        ]

    assert in_one_hour(probe) == [202] * 5 + [429]
