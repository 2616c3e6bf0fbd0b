# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant's phone pages over a running town, as a phone browser without JavaScript uses
them: the shop signs in by the link the catalog mails, sees an order a customer placed and
accepts it with one button, and lists a product from a photo and a price, which the
storefront's search finds a moment later."""

from __future__ import annotations

import html
import io
import re
import uuid

import httpx
import pytest
from PIL import Image

from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import check_out, open_basket, open_shop, pickup, put, wait_for
from tests.support.polling import wait_until
from tests.support.web_front import WebFront

pytestmark = pytest.mark.e2e

LINK = re.compile(r"/merchant/sign-in\?merchant=[0-9a-f-]+&token=[A-Za-z0-9_-]+")


def sign_in_link(mailbox: Mailbox, email: str) -> re.Match[str] | None:
    """The sign-in link among the shop's mails (ordering mails it of each new order too)."""
    return next(filter(None, (LINK.search(str(mail.get_content())) for mail in mailbox.to(email))), None)


def small_jpeg() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (320, 240), (190, 120, 40)).save(picture, "JPEG", quality=80)
    return picture.getvalue()


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form that posts to ``action``, as a browser sends them."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert form, page[:3000]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))
    }


def test_a_merchant_signs_in_by_link_accepts_an_order_and_lists_a_product(
    ordering_town: RunningTown, front: WebFront, mailbox: Mailbox
) -> None:
    email = f"hofladen-{uuid.uuid4().hex[:12]}@example.de"
    shop = open_shop(ordering_town, "Hofladen Apfelbaum", {"Apfelsaft": ("3,00", 20)}, email=email)
    basket = open_basket(ordering_town)
    assert put(ordering_town, basket, shop.offers["Apfelsaft"], 2).status_code == 200
    placed = check_out(ordering_town, basket, {shop.merchant_id: pickup()})
    assert placed.status_code == 201, placed.text
    (order_id,) = (order["order_id"] for order in placed.json()["orders"])

    with httpx.Client(base_url=front.url, headers={"Accept-Language": "en"}, timeout=30) as phone:
        asking = phone.get("/merchant/sign-in")
        asked = phone.post(
            "/merchant/sign-in-links", data={"email": email, **form_fields(asking.text, "/merchant/sign-in-links")}
        )
        assert asked.status_code == 200 and "a sign-in link is on its way" in asked.text, asked.text
        link = wait_until(lambda: sign_in_link(mailbox, email), seconds=60, what="the merchant's sign-in mail")

        opened = phone.get(link.group(0))  # opening the link signs nobody in: its button does
        assert opened.status_code == 200 and "merchant=" not in " ".join(opened.headers.get_list("set-cookie"))
        button = form_fields(opened.text, "/merchant/sign-in")
        signed_in = phone.post("/merchant/sign-in", data=button)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/merchant", signed_in.text
        cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("merchant="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        again = phone.post("/merchant/sign-in", data=button)  # the link once only
        assert again.status_code == 403 and "merchant=" not in " ".join(again.headers.get_list("set-cookie"))

        inbox = wait_until(
            lambda: (answer := phone.get("/merchant")).status_code == 200 and order_id in answer.text and answer.text,
            seconds=30,
            what="the order on the merchant's page",
        )
        assert "Hofladen Apfelbaum" in inbox and "2 × Apfelsaft" in inbox
        accept = f"/merchant/orders/{order_id}/accept"
        accepted = phone.post(accept, data=form_fields(inbox, accept))
        assert accepted.status_code == 303, accepted.text
        wait_for(ordering_town, order_id, shop.auth, status="confirmed")
        after = phone.get("/merchant")
        assert f'action="/merchant/orders/{order_id}/packed"' in after.text  # the next step's button

        form = phone.get("/merchant/offers/new")
        assert 'capture="environment"' in form.text
        title = f"Quittengelee {uuid.uuid4().hex[:6]}"
        fields = {**form_fields(form.text, "/merchant/offers"), "title": title, "price": "12,50"}
        photo = {"photo": ("IMG_0001.jpg", small_jpeg(), "image/jpeg")}
        listed = phone.post("/merchant/offers", data=fields, files=photo)
        assert listed.status_code == 303 and listed.headers["location"].startswith("/offers/"), listed.text
        resent = phone.post("/merchant/offers", data=fields, files=photo)  # a retry after a dropped connection
        assert resent.headers.get("location") == listed.headers["location"]  # listed once
        shown = wait_until(
            lambda: (page := phone.get(listed.headers["location"])).status_code == 200 and page.text,
            seconds=30,
            what="the new offer's storefront page",
        )
        assert title in shown and "€12.50" in shown, shown

        found = wait_until(
            lambda: title in (page := phone.get("/search", params={"q": title})).text and page.text,
            seconds=30,
            what="the new product in the storefront's search",
        )
        assert listed.headers["location"] in found

        session = phone.cookies["merchant"]
        out = phone.post("/merchant/sign-out", data=form_fields(after.text, "/merchant/sign-out"))
        assert out.status_code == 303 and out.headers["location"] == "/merchant/sign-in?ended=1", out.text
        assert "You are signed out on every device" in phone.get(out.headers["location"]).text
        assert phone.get("/merchant", follow_redirects=False).headers["location"] == "/merchant/sign-in"
    # The catalog ended the session: its cookie, kept by someone and sent again, opens nothing.
    with httpx.Client(base_url=front.url, cookies={"merchant": session}, timeout=30) as copied:
        reopened = copied.get("/merchant", follow_redirects=False)
        assert reopened.status_code == 303 and reopened.headers["location"] == "/merchant/sign-in", reopened.text
    refused = httpx.get(f"{ordering_town['catalog'].api}/merchants/me", headers={"Authorization": f"Bearer {session}"})
    assert refused.status_code == 401, refused.text
