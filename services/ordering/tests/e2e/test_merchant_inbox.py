# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's inbox on the real stack: a signed-in customer orders with a phone number;
the shop's list names her and her phone and finds the order among what it still has to
collect (``view=unpaid``) until a payment clears it; her own list shows the order paid but
never her record, and another shop's list does not show the order at all."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import Shop, open_shop, pickup, step, wait_for
from tests.support.polling import wait_until

PHONE = "02555 98765"


def _signed_in(town: RunningTown, mailbox: Mailbox, email: str) -> dict[str, str]:
    """A customer token, from the sign-in link mailed to ``email``."""
    api = town["ordering"].api
    assert httpx.post(f"{api}/sign-in-links", json={"email": email}).status_code == 202
    mails = wait_until(lambda: mailbox.to(email), seconds=60, what=f"the sign-in mail to {email}")
    found = re.search(r"/sign-in\?account=([0-9a-f-]+)&token=([A-Za-z0-9_-]+)", str(mails[0].get_content()))
    assert found, mails[0].get_content()
    session = httpx.post(f"{api}/sessions", json={"account_id": found.group(1), "token": found.group(2)})
    assert session.status_code == 201, session.text
    return {"Authorization": f"Bearer {session.json()['customer_token']}"}


def _ordered(town: RunningTown, shop: Shop, customer: dict[str, str], email: str) -> dict[str, Any]:
    """Two loaves picked up tomorrow, paid at pickup, ordered from the customer's account."""
    api = town["ordering"].api
    opened = httpx.post(f"{api}/baskets", headers=customer)
    assert opened.status_code == 201, opened.text
    basket_id = opened.json()["basket"]["basket_id"]
    line = {"offer_id": shop.offers["Roggenbrot"], "quantity": 2}
    assert httpx.post(f"{api}/baskets/{basket_id}/lines", json=line, headers=customer).status_code == 200
    body = {
        "customer": {"name": "Erika Musterfrau", "email": email, "phone": PHONE},
        "merchants": {shop.merchant_id: pickup()},
    }
    headers = {**customer, "Idempotency-Key": str(uuid.uuid4())}
    placed = httpx.post(f"{api}/baskets/{basket_id}/checkout", json=body, headers=headers, timeout=30)
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    return dict(order)


def _listed(town: RunningTown, headers: dict[str, str], view: str = "all") -> dict[str, dict[str, Any]]:
    answer = httpx.get(f"{town['ordering'].api}/orders", params={"view": view}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {row["order_id"]: row for row in answer.json()}


def test_the_inbox_names_the_customer_and_says_what_is_still_to_collect_until_it_is_paid(
    ordering_town: RunningTown, mailbox: Mailbox
) -> None:
    town = ordering_town
    shop = open_shop(town, "Bäckerei Inbox", {"Roggenbrot": ("5,35", 10)})
    other = open_shop(town, "Metzgerei Nebenan", {"Mettwurst": ("4,20", 10)})
    email = f"erika-{uuid.uuid4().hex[:8]}@example.de"
    customer = _signed_in(town, mailbox, email)
    order = _ordered(town, shop, customer, email)
    order_id = order["order_id"]
    assert step(town, shop, order_id, "accept").status_code == 200
    wait_for(town, order_id, customer, status="confirmed")

    def in_the_inbox(view: str, **expected: Any) -> dict[str, Any]:
        seen: dict[str, Any] = {}

        def shown() -> bool:
            seen.update(_listed(town, shop.auth, view).get(order_id, {}))
            return bool(seen) and all(seen.get(name) == value for name, value in expected.items())

        wait_until(shown, seconds=30, what=f"the order in the shop's {view} list with {expected} (seen {seen})")
        return seen

    row = in_the_inbox("unpaid", status="confirmed", left_to_pay_cents=1070, paid=False)
    assert row["customer"] == {"name": "Erika Musterfrau", "phone": PHONE}
    assert row["answer_by"]

    paid = httpx.post(
        f"{town['ordering'].api}/orders/{order_id}/payments",
        json={"received_by": "bank_transfer", "amount": "10,70"},
        headers={**shop.auth, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert paid.status_code == 201, paid.text
    row = in_the_inbox("all", left_to_pay_cents=0, paid=True)
    assert row["customer"] == {"name": "Erika Musterfrau", "phone": PHONE}
    assert order_id not in _listed(town, shop.auth, "unpaid")

    answer = httpx.get(f"{town['ordering'].api}/orders", headers=customer)
    assert answer.status_code == 200, answer.text
    (own,) = [found for found in answer.json() if found["order_id"] == order_id]
    assert (own["customer"], own["paid"], own["left_to_pay_cents"]) == (None, True, 0)
    assert PHONE not in answer.text and "Musterfrau" not in answer.text
    assert order_id not in _listed(town, other.auth)
