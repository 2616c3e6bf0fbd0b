# SPDX-License-Identifier: AGPL-3.0-or-later
"""A video consultation: a service the merchant lists as held by video gets a meeting link
when the order is confirmed, in the order API and in both confirmation mails, which speak of
the call; a service of the same shop held in person gets none."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import (
    EVERY_DAY,
    check_out,
    guest,
    key,
    open_basket,
    open_shop,
    put,
    step,
    town_rows,
    town_time,
    wait_for,
)
from tests.support.polling import wait_until


def list_service(town: RunningTown, auth: dict[str, str], title: str, held: str) -> str:
    response = httpx.post(
        f"{town['catalog'].api}/offers/services",
        json={"title": title, "price": "35,00", "duration_minutes": 30, "weekly_availability": EVERY_DAY, "held": held},
        headers={**auth, **key()},
    )
    assert response.status_code == 201, response.text
    offer_id: str = response.json()["offer_id"]
    return offer_id


def slot(days_from_now: int, hour: int) -> dict[str, str]:
    starts = town_time(days_from_now, hour)
    return {"starts_at": starts.isoformat(), "ends_at": starts.replace(minute=30).isoformat()}


def body(message: Any) -> str:
    part = message.get_body()
    return "" if part is None else str(part.get_content())


def test_only_a_service_held_by_video_gets_a_meeting_link_in_the_api_and_both_mails(
    ordering_town: RunningTown, mailbox: Mailbox
) -> None:
    town = ordering_town
    shop_mail = f"hoerakustik-{uuid.uuid4().hex[:8]}@example.de"
    customer_mail = f"video-{uuid.uuid4().hex[:8]}@example.de"
    shop = open_shop(town, "Hörakustik Klang", {}, email=shop_mail, video_consultation_url="https://meet.example/klang")
    video = list_service(town, shop.auth, "Hörberatung per Video", "video")
    in_person = list_service(town, shop.auth, "Hörtest im Laden", "in_person")
    wait_until(
        lambda: (
            len(town_rows(town, "SELECT 1 FROM ordering_offers WHERE offer_id IN (%s, %s)", (video, in_person))) == 2
        ),
        what="ordering hearing of the two services",
    )
    basket = open_basket(town)
    assert put(town, basket, video, slot=slot(2, 10)).status_code == 200
    assert put(town, basket, in_person, slot=slot(2, 14)).status_code == 200
    customer = {"name": "Vera Video", "email": customer_mail, "language": "de"}
    choice = {"fulfilment": {"method": "pickup"}, "payment": {"method": "at_pickup"}}
    placed = check_out(town, basket, {shop.merchant_id: choice}, customer=customer)
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    held = {line["offer_id"]: line["held"] for line in order["lines"]}
    assert held == {video: "video", in_person: "in_person"}
    assert all(line["meeting_url"] is None for line in order["lines"])  # not before the confirmation

    assert step(town, shop, order["order_id"], "accept").status_code == 200
    confirmed = wait_for(town, order["order_id"], guest(placed.json()["order_link_token"]), status="confirmed")
    links = {line["offer_id"]: line["meeting_url"] for line in confirmed["lines"]}
    assert links[in_person] is None
    meeting = links[video]
    assert meeting and meeting.startswith("https://")

    def confirmations() -> tuple[str, str]:
        to_customer = [body(m) for m in mailbox.to(customer_mail) if "bestätigt" in str(m["Subject"])]
        to_shop = [body(m) for m in mailbox.to(shop_mail) if "Videoberatung" in str(m["Subject"])]
        return (to_customer[0] if to_customer else "", to_shop[0] if to_shop else "")

    wait_until(lambda: all(confirmations()), what="both confirmation mails")
    for text in confirmations():
        assert meeting in text
        assert "Videogespräch" in text
