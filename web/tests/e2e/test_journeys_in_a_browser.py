# SPDX-License-Identifier: AGPL-3.0-or-later
"""The town's main journeys in Debian's Chromium, across roles, over a running delivery town
(catalog, vouchers, ordering and dispatch as separate processes, and the web front):

1. a shop signs in on its phone by the mailed link and puts a photographed candle online; a
   customer on a phone finds it by the storefront's search, puts it and another shop's honey
   in the basket and checks out with delivery by the town's couriers; the shop accepts on its
   phone, the courier (signed in by its link) picks up at both shops and delivers, and the
   customer's order page shows it done;
2. a customer on a desktop buys a town voucher, is paid for, prints it (the PDF through the
   front), a shop takes 10 € of it at the counter on its phone by scanning its QR code with the
   phone's camera (a Chromium whose fake camera shows the printed code), and the balance shows
   the rest;
3. a customer on a desktop orders a mug for pickup; the association (on a phone and a desktop)
   reads its members and charts and suspends the pottery, whose mug then leaves the search.

Each role browses in a context of its own at its natural viewport (shops and couriers on a
phone, the association at its desk). Every step is a screenshot (``.downtown/artefacts/
screenshots/``), passes axe-core (no serious or critical violation) and shows no page error.

The town's clock stands at 10:00 a week ahead (``delivery_front``), so shops are open and
pickup windows and delivery slots lie ahead whatever the hour the tests run at; the vouchers'
payment provider signs its callback with the town's time for the same reason. Whatever comes
a moment later (a read model, the planner) is waited for by reloading the page under
tests/support/polling.py's ``wait_until``.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image
from playwright.async_api import Locator, Page, expect

from tests.support.browser import DESKTOP, PHONE, Pages, looked_at, shoot
from tests.support.fake_camera import write_qr_video
from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import Shop, guest, open_basket, open_shop, order, step
from tests.support.polling import wait_until
from tests.support.vouchers_client import buy, campaign, codes_in_pdf, codes_of, join, town_programme, wait_for_codes
from tests.support.vouchers_client import buyer as purchase_token
from tests.support.web_front import WebFront

pytest_plugins = ["tests.support.browser_fixtures"]

pytestmark = pytest.mark.e2e

POSTAL_CODE, CITY, STREET = "48624", "Schöppingen", "Am Markt 1"
DEPOT = {"lat": 52.1000, "lon": 7.2300}
CANDLES = {"lat": 52.1012, "lon": 7.2318}
HONEY = {"lat": 52.1021, "lon": 7.2290}
PROGRAMME = "Teststadt-Gutschein"
CUSTOMER = "Clara Kunde"
JSQR_LOADED = "() => performance.getEntriesByType('resource').some(entry => entry.name.includes('/jsqr/'))"


# --- the steps every journey takes ---------------------------------------------------------


async def reload_until(page: Page, shown: Callable[[], Awaitable[object]], what: str) -> None:
    """Reloads ``page`` until ``shown()`` is true: a read model or the planner is a moment
    behind. Polled by ``wait_until`` in a worker thread; each look runs on this loop. A page
    that never shows it is kept as a screenshot."""
    loop = asyncio.get_running_loop()

    def look() -> bool:
        async def once() -> bool:
            if await shown():
                return True
            await page.reload()
            return False

        return asyncio.run_coroutine_threadsafe(once(), loop).result()

    try:
        await asyncio.to_thread(wait_until, look, every=0.3, what=what)
    except AssertionError:
        await shoot(page, "timed-out")  # what the page showed instead, kept with the others
        raise


def links_mailed(mailbox: Mailbox, email: str, kind: str) -> list[str]:
    """The sign-in links among the mails to ``email`` (a shop gets a mail of each new order too)."""
    link = re.compile(rf"/{kind}/sign-in\?{kind}=[0-9a-f-]+&token=[A-Za-z0-9_-]+")
    return [found.group(0) for mail in mailbox.to(email) if (found := link.search(str(mail.get_content())))]


async def sign_in_by_link(page: Page, front: WebFront, mailbox: Mailbox, email: str, kind: str, label: str) -> None:
    """A shop or a courier signs in on its phone: not signed in, it is asked for its address,
    and the one-time link mailed to it opens a page whose button signs it in."""
    await page.goto(f"{front.url}/{kind}")
    await page.wait_for_url(f"**/{kind}/sign-in")
    await looked_at(page, f"{kind}-sign-in")
    before = len(links_mailed(mailbox, email, kind))
    await page.get_by_label(label).fill(email)
    await page.get_by_role("button", name="Anmeldelink schicken").click()
    await page.get_by_role("status").wait_for()
    await looked_at(page, f"{kind}-link-sent")
    links = await asyncio.to_thread(
        wait_until,
        lambda: (found := links_mailed(mailbox, email, kind))[before:] and found,
        seconds=60,
        what=f"the {kind}'s sign-in mail",
    )
    await page.goto(f"{front.url}{links[-1]}")
    await looked_at(page, f"{kind}-link-opened")
    await page.get_by_role("button", name="Anmelden").click()
    await page.wait_for_url(f"**/{kind}")


async def search(page: Page, front: WebFront, words: str) -> None:
    """From the home page, the storefront's search box; the offer is in the results once the
    catalog's search has it."""
    await page.goto(f"{front.url}/")
    await looked_at(page, "home")
    await page.get_by_role("searchbox").fill(words)
    await page.get_by_role("button", name="Suchen").click()
    await page.wait_for_url(f"**/search?q={words}*")
    found = page.get_by_role("link", name=words).first
    await reload_until(page, found.is_visible, f"{words} in the search")
    await looked_at(page, "search")


async def put_in_basket(page: Page, front: WebFront, words: str) -> None:
    await search(page, front, words)
    await page.get_by_role("link", name=words).first.click()
    await page.wait_for_url("**/offers/*")
    await looked_at(page, "offer")
    await page.get_by_role("button", name="In den Warenkorb").click()
    await page.wait_for_url("**/basket")
    await looked_at(page, "basket")


async def photo_scaled_down(page: Page, original: int) -> int:
    """The size of the photo in the offer form's field once the page's script has put its
    smaller copy there (polled by ``evaluate``: ``wait_for_function`` evaluates a string, which
    the page's CSP refuses; no reload, which would lose the chosen file)."""
    loop = asyncio.get_running_loop()

    def smaller() -> int | None:
        size = "() => document.getElementById('photo').files[0].size"
        sent = int(asyncio.run_coroutine_threadsafe(page.evaluate(size), loop).result())
        return sent if sent < original else None

    return int(await asyncio.to_thread(wait_until, smaller, seconds=30, what="the photo scaled down on the phone"))


async def all_visible(*locators: Locator) -> bool:
    return all([await locator.is_visible() for locator in locators])


async def none_of(locator: Locator) -> bool:
    return await locator.count() == 0


def euros(cents: int) -> str:
    """An amount as the German pages write it."""
    return f"{cents // 100},{cents % 100:02d}\xa0€"


def placed_orders(page: Page) -> tuple[list[str], str]:
    """The thank-you page's orders (one per shop) and the order token its address carries."""
    query = parse_qs(urlsplit(page.url).query)
    return query["orders"][0].split(","), query["token"][0]


# --- the town: its couriers, its shops and its vouchers -------------------------------------


def association_calls(town: RunningTown, method: str, path: str, body: Any = None) -> httpx.Response:
    """Dispatch's API as the town's association calls it (its setup has no page yet)."""
    headers = {"Authorization": f"Bearer {town.association_token}"}
    return httpx.request(method, f"{town['dispatch'].api}{path}", json=body, headers=headers, timeout=30)


def created(town: RunningTown, path: str, body: Any) -> dict[str, Any]:
    response = association_calls(town, "POST", path, body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def terms(courier_service_id: str) -> dict[str, Any]:
    """The town's postal code (the checkout form sets no pin on the map), a slot every hour of
    every day, no lead time: the next slot starts at once, whatever the day."""
    slots = [
        {
            "weekday": day,
            "starts": f"{hour:02}:00",
            "ends": f"{hour + 1:02}:00" if hour < 23 else "23:59",
            "capacity": 100,
        }
        for day in range(7)
        for hour in range(24)
    ]
    return {
        "courier_service_id": courier_service_id,
        "zones": [{"name": "Schöppingen", "postal_codes": [POSTAL_CODE]}],
        "fee": {"pricing": "flat", "cents": 390},
        "slots": slots,
        "lead_minutes": 0,
        "attempts": 2,
    }


@pytest.fixture(scope="module")
def courier(delivery_front: Any) -> Iterator[str]:
    """A courier with an e-mail address, on shift around the town's now, of a courier service
    that delivers on the town's terms (ordering prices by them when this returns); let go at
    the module's end, so the planner hands no later test's job to them. Their address."""
    town, now = delivery_front.town, delivery_front.now
    service_id = created(town, "/courier-services", {"name": "Radkurier Markt", "phone": "02555 9"})[
        "courier_service_id"
    ]
    wait_until(
        lambda: association_calls(town, "PUT", "/delivery-terms", terms(service_id)).status_code == 200,
        seconds=30,
        what="the town's terms set (the courier service known)",
    )
    email = f"kurier-{uuid.uuid4().hex[:12]}@example.de"
    courier_id = created(
        town,
        f"/courier-services/{service_id}/couriers",
        {"display_name": "Lena", "vehicle": "cargo_bike", "capacity": 8, "email": email},
    )["courier_id"]
    shift = {
        "starts_at": (now - timedelta(minutes=10)).isoformat(),
        "ends_at": (now + timedelta(hours=8)).isoformat(),
        "start": DEPOT,
    }
    created(town, f"/courier-services/{service_id}/couriers/{courier_id}/shifts", shift)
    wait_until(
        lambda: association_calls(town, "POST", f"/couriers/{courier_id}/token", {}).status_code == 201,
        seconds=30,
        what="the courier on the roster",
    )

    def quoted() -> bool:
        basket = open_basket(town)
        quote = httpx.get(
            f"{town['ordering'].api}/baskets/{basket.basket_id}/quote",
            params={"postal_code": POSTAL_CODE},
            headers=basket.headers,
        )
        return quote.status_code == 200 and bool(quote.json()["courier"])

    wait_until(quoted, seconds=60, every=0.3, what="ordering's quote showing dispatch's terms")
    yield email
    let_go = association_calls(town, "DELETE", f"/courier-services/{service_id}/couriers/{courier_id}")
    assert let_go.status_code == 204, let_go.text


@dataclass(frozen=True)
class Shops:
    programme_id: str
    candles: Shop
    candles_email: str
    honey: Shop
    honey_email: str
    honey_name: str


@pytest.fixture(scope="module")
def shops(delivery_front: Any) -> Shops:
    """Two shops on the map that deliver and take the town's voucher: a chandler (which lists
    its candle in the browser) and a beekeeper with its honey."""
    town = delivery_front.town
    programme_id = town_programme(town, name=PROGRAMME)
    candles_email = f"kerzen-{uuid.uuid4().hex[:12]}@example.de"
    candles = open_shop(town, "Kerzenzieherei Docht", {}, email=candles_email, location=CANDLES)
    honey_email = f"imkerei-{uuid.uuid4().hex[:12]}@example.de"
    honey_name = "Imkerei Summ"
    honey = open_shop(town, honey_name, {"Waldhonig": ("9,00", 0)}, email=honey_email, location=HONEY)
    for shop in (candles, honey):
        join(town, programme_id, shop.auth)
    return Shops(programme_id, candles, candles_email, honey, honey_email, honey_name)


def provider_pays(town: RunningTown, now: datetime, purchase_id: str, cents: int) -> None:
    """The payment provider's signed callback, signed at the town's time (vouchers refuses a
    signature older than a few minutes by its own clock, which stands a week ahead)."""
    from vouchers.adapters.payment_webhook import sign

    vouchers = town["vouchers"]
    body = json.dumps(
        {"purchase_id": purchase_id, "reference": f"pay-{uuid.uuid4().hex[:12]}", "amount_cents": cents}
    ).encode()
    signature = sign(vouchers.env["DOWNTOWN_PAYMENT_WEBHOOK_SECRET"], int(now.timestamp()), body)
    paid = httpx.post(
        f"{vouchers.api}/payments/provider",
        content=body,
        headers={"Content-Type": "application/json", "Downtown-Signature": signature},
    )
    assert paid.status_code == 200, paid.text


def paid_voucher(town: RunningTown, now: datetime, programme_id: str, cents: int) -> str:
    """A town voucher bought online and paid, its code known to vouchers' code lookup: its code."""
    started = buy(town, programme_id, cents)
    purchase = started["purchase"]
    provider_pays(town, now, purchase["purchase_id"], purchase["total_cents"])
    vouchers = town["vouchers"]
    codes = codes_of(vouchers, purchase["purchase_id"], started["access_token"])
    wait_for_codes(vouchers, list(codes))
    [code] = codes.values()
    return code


def vouchers_of(town: RunningTown, purchase_id: str, token: str) -> list[str]:
    """A purchase's voucher ids, as its buyer reads it with the purchase's access token."""
    response = httpx.get(f"{town['vouchers'].api}/purchases/{purchase_id}", headers=purchase_token(token))
    assert response.status_code == 200, response.text
    return [item["voucher_id"] for item in response.json()["purchase"]["items"]]


def phone_photo() -> bytes:
    """A photo as a phone takes it: several megabytes of detail."""
    picture = io.BytesIO()
    Image.frombytes("RGB", (2400, 1800), os.urandom(2400 * 1800 * 3)).save(picture, "JPEG", quality=90)
    return picture.getvalue()


# --- 1. photographed, found, ordered from two shops, accepted, delivered --------------------


async def test_a_photographed_candle_is_found_ordered_with_honey_accepted_and_delivered_by_courier(
    new_page: Pages, delivery_front: Any, mailbox: Mailbox, shops: Shops, courier: str
) -> None:
    town, front = delivery_front.town, delivery_front.front

    # the chandler, on its phone: signs in by the mailed link and puts a photographed candle online
    chandler = await new_page(PHONE)
    await sign_in_by_link(chandler, front, mailbox, shops.candles_email, "merchant", "E-Mail-Adresse Ihres Geschäfts")
    await looked_at(chandler, "merchant-orders")
    await chandler.get_by_role("link", name="Neues Angebot").click()
    await chandler.wait_for_url("**/merchant/offers/new")
    await looked_at(chandler, "merchant-new-offer")
    taken = phone_photo()
    await chandler.get_by_label("Foto").set_input_files(
        {"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": taken}
    )
    # the page's script replaces the photo by a smaller one before anything is sent
    sent = await photo_scaled_down(chandler, len(taken))
    assert sent < len(taken) // 2, (sent, len(taken))
    await chandler.get_by_label("Preis in Euro", exact=False).fill("12,50")
    await chandler.get_by_label("Titel").fill("Bienenwachskerze")
    await chandler.get_by_role("button", name="Online stellen").click()
    await chandler.wait_for_url("**/offers/*", timeout=60_000)
    await looked_at(chandler, "merchant-offer-online")
    assert await chandler.get_by_role("heading", name="Bienenwachskerze").count() == 1

    # the customer, on a phone: finds the candle and the honey, checks out with delivery
    customer = await new_page(PHONE)
    await put_in_basket(customer, front, "Bienenwachskerze")
    await put_in_basket(customer, front, "Waldhonig")
    await customer.get_by_role("link", name="Zur Kasse").click()
    await customer.wait_for_url("**/checkout")
    await customer.get_by_label("Name", exact=True).fill(CUSTOMER)
    await customer.get_by_label("E-Mail", exact=False).fill("clara@example.de")
    await customer.get_by_label("Straße und Hausnummer").fill(STREET)
    await customer.get_by_label("Postleitzahl").fill(POSTAL_CODE)
    await customer.get_by_label("Ort", exact=True).fill(CITY)
    for shop_name in ("Kerzenzieherei Docht", shops.honey_name):
        at_shop = customer.get_by_role("group", name=f"Ihre Bestellung bei {shop_name}")
        await at_shop.get_by_label("An meine Adresse liefern").check()
        await at_shop.get_by_label("Wie ich bezahle").select_option("cash_at_door")
    # the couriers bring both in one trip: in the quote's second slot, an hour after the town's now
    now = delivery_front.now
    slots = customer.get_by_role("group", name="Wann die Kuriere der Stadt liefern")
    assert await slots.get_by_role("radio").first.is_checked()  # the next slot, unless another is chosen
    second = f"{now + timedelta(hours=1):%H:%M}–{now + timedelta(hours=2):%H:%M}: Liefergebühr {euros(390)}"
    await slots.get_by_label(second, exact=False).check()
    # a 25 € town voucher pays 15 € of the goods: the candle's 12,50 € and 2,50 € of the honey
    code = await asyncio.to_thread(paid_voucher, town, delivery_front.now, shops.programme_id, 2500)
    await customer.get_by_label("Gutscheincode").fill(code)
    await customer.get_by_label("Höchstens einlösen, in Euro", exact=False).fill("15,00")
    await looked_at(customer, "checkout")
    await customer.get_by_role("button", name="Zahlungspflichtig bestellen").click()
    await customer.wait_for_url("**/placed?*")
    await looked_at(customer, "thank-you")
    order_ids, token = placed_orders(customer)
    placed = [order(town, order_id, guest(token)) for order_id in order_ids]
    by_shop = {each["merchant_id"]: each for each in placed}
    candle_order = by_shop[shops.candles.merchant_id]["order_id"]
    honey_order = by_shop[shops.honey.merchant_id]["order_id"]
    assert by_shop[shops.candles.merchant_id]["voucher_cents"] == 1250
    assert by_shop[shops.honey.merchant_id]["voucher_cents"] == 250
    assert sum(each["delivery_fee_cents"] for each in placed) == 390  # one trip, its fee on one of them
    for each in placed:  # in the slot chosen
        slot = each["delivery_slot"]
        assert datetime.fromisoformat(slot["starts_at"]) == now + timedelta(hours=1), slot
        assert datetime.fromisoformat(slot["ends_at"]) == now + timedelta(hours=2), slot
    for shop_name, shop in (("Kerzenzieherei Docht", shops.candles), (shops.honey_name, shops.honey)):
        ordered = by_shop[shop.merchant_id]
        assert ordered["left_to_pay_cents"] == ordered["total_cents"] - ordered["voucher_cents"]
        said = await customer.get_by_role("region", name=shop_name).inner_text()
        assert f"Mit Gutschein bezahlt: {euros(ordered['voucher_cents'])}" in said, said
        assert f"Noch zu zahlen: {euros(ordered['left_to_pay_cents'])}" in said, said

    # the chandler accepts on its phone (the beekeeper at its till, through ordering's API)
    await chandler.goto(f"{front.url}/merchant")
    card = chandler.locator(f"#order-{candle_order}")
    await reload_until(chandler, card.is_visible, "the order on the shop's page")
    await looked_at(chandler, "merchant-new-order")
    hours = f"{now + timedelta(hours=1):%H:%M}–{now + timedelta(hours=2):%H:%M}"
    assert hours in await card.locator("p", has_text="Lieferung").inner_text()  # when the couriers deliver it
    await card.get_by_role("button", name="Annehmen").click()
    await chandler.wait_for_url(f"**/merchant#order-{candle_order}")
    await looked_at(chandler, "merchant-accepted")
    accepted = await asyncio.to_thread(step, town, shops.honey, honey_order, "accept")
    assert accepted.status_code == 200, accepted.text

    # the courier, on its phone: signs in by its link, picks up at both shops, delivers
    rider = await new_page(PHONE)
    await sign_in_by_link(rider, front, mailbox, courier, "courier", "Ihre E-Mail-Adresse")
    door = rider.get_by_label("Wer hat die Ware angenommen (Name)")
    await reload_until(rider, door.is_visible, "the delivery planned on the courier's tour")
    await looked_at(rider, "courier-tour")
    for shop_name, order_id in (("Kerzenzieherei Docht", candle_order), (shops.honey_name, honey_order)):
        stop = rider.locator("li.order", has_text=shop_name)
        # the slip's code typed as printed (journey 2 reads a code with a camera)
        await stop.get_by_label("Der Code auf dem Lieferschein der Bestellung").fill(order_id.upper())
        await stop.get_by_role("button", name="Abgeholt").click()
        await rider.wait_for_url("**/courier?done=pickup*")
        await rider.get_by_role("status").wait_for()
        await looked_at(rider, "courier-picked-up")
    await door.fill(CUSTOMER)
    await rider.get_by_role("button", name="Zugestellt", exact=True).click()
    await rider.wait_for_url("**/courier?done=delivery*")
    assert "Zugestellt. Danke!" in await rider.get_by_role("status").inner_text()
    await looked_at(rider, "courier-delivered")

    # the customer follows the candle's order: done
    await (
        customer.locator(f'[aria-labelledby="order-{candle_order}"]')
        .get_by_role("link", name="Diese Bestellung verfolgen")
        .click()
    )
    await customer.wait_for_url(f"**/orders/{candle_order}?token=*")
    status = customer.locator(".status strong")
    await reload_until(customer, lambda: status.filter(has_text="erledigt").is_visible(), "the order delivered")
    await looked_at(customer, "order-delivered")


# --- 2. a voucher bought, printed, taken at the counter, its balance checked -----------------


async def test_a_voucher_is_bought_printed_taken_at_the_counter_and_its_balance_checked(
    new_page: Pages, delivery_front: Any, mailbox: Mailbox, shops: Shops, tmp_path: Path
) -> None:
    town, front, now = delivery_front.town, delivery_front.front, delivery_front.now

    buyer = await new_page(DESKTOP)
    await buyer.goto(f"{front.url}/vouchers")
    await looked_at(buyer, "vouchers")
    programme = buyer.get_by_role("region", name=PROGRAMME)
    await programme.get_by_label("Wert").select_option("25,00")
    await programme.get_by_label("Ihre E-Mail", exact=False).fill("dora@example.de")
    await programme.get_by_role("button", name="Zahlungspflichtig kaufen").click()
    await buyer.wait_for_url("**/vouchers/purchases/*")
    await looked_at(buyer, "voucher-to-pay")
    purchase_id = urlsplit(buyer.url).path.rsplit("/", 1)[-1]

    await asyncio.to_thread(provider_pays, town, now, purchase_id, 2500)
    printable = buyer.get_by_role("link", name="Die Gutscheine zum Ausdrucken (PDF)")
    await reload_until(buyer, printable.is_visible, "the purchase paid")
    await looked_at(buyer, "voucher-paid")
    pdf = await buyer.context.request.get(f"{front.url}{await printable.get_attribute('href')}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    body = await pdf.body()
    assert body.startswith(b"%PDF"), body[:20]
    [code] = codes_in_pdf(body)
    # the shop finds the voucher by its code once vouchers' code lookup (a read model) has it
    token = next(cookie["value"] for cookie in await buyer.context.cookies() if cookie["name"].startswith("purchase_"))
    await asyncio.to_thread(wait_for_codes, town["vouchers"], vouchers_of(town, purchase_id, token))

    # the beekeeper, on its phone at the counter, holds the printed voucher up to its camera: a
    # Chromium of its own whose camera shows the voucher's QR code (tests/support/fake_camera.py)
    camera = await asyncio.to_thread(write_qr_video, tmp_path / "voucher.y4m", code)
    counter = await new_page(PHONE, camera=camera)
    await sign_in_by_link(counter, front, mailbox, shops.honey_email, "merchant", "E-Mail-Adresse Ihres Geschäfts")
    await counter.get_by_role("link", name="Gutschein annehmen").click()
    await counter.wait_for_url("**/merchant/vouchers")
    await looked_at(counter, "merchant-voucher-form")
    await counter.get_by_label("Abzubuchender Betrag in Euro").fill("10,00")
    # Chromium on Linux has no BarcodeDetector: the page loads jsQR when the button is pressed
    # (not before) and reads the camera's frames with it; the code fills the field and the
    # form is sent.
    assert not await counter.evaluate(JSQR_LOADED)
    async with counter.expect_response("**/static/vendor/jsqr/jsQR.js") as jsqr:
        await counter.get_by_role("button", name="Mit der Kamera scannen").click()
    assert (await jsqr.value).ok
    await counter.wait_for_url("**/merchant/vouchers/redemptions")
    taken = await counter.get_by_role("status").inner_text()
    assert "10,00\xa0€" in taken and "15,00\xa0€" in taken, taken
    await looked_at(counter, "merchant-voucher-taken")

    # where there is no camera (the session's Chromium has none), the button says so and the
    # code is typed; jsQR is not downloaded for nothing
    till = await new_page(PHONE)
    await till.context.add_cookies(await counter.context.cookies())
    await till.goto(f"{front.url}/merchant/vouchers")
    await till.get_by_role("button", name="Mit der Kamera scannen").click()
    no_camera = "Die Kamera ließ sich nicht öffnen. Bitte geben Sie den Code ein."
    await expect(till.get_by_role("status")).to_have_text(no_camera)
    await expect(till.get_by_label("Der Code des Gutscheins")).to_be_focused()
    assert not await till.evaluate(JSQR_LOADED)
    await looked_at(till, "merchant-voucher-no-camera")

    # the buyer checks what is left (the voucher itself answers: no read model to wait for)
    await buyer.goto(f"{front.url}/vouchers")
    await buyer.get_by_label("Der Code des Gutscheins").fill(code)
    await buyer.get_by_role("button", name="Prüfen").click()
    await buyer.wait_for_url("**/vouchers/balance")
    worth = await buyer.get_by_role("status").inner_text()
    assert "Noch 15,00\xa0€ von 25,00\xa0€ wert." in worth, worth
    await looked_at(buyer, "voucher-balance")


# --- 3. ordered, then suspended by the association, gone from the search ------------------


async def test_the_association_suspends_a_shop_and_its_offer_leaves_the_search(
    new_page: Pages, delivery_front: Any
) -> None:
    town, front = delivery_front.town, delivery_front.front
    name = "Töpferei Drehscheibe"
    pottery = await asyncio.to_thread(open_shop, town, name, {"Steingutbecher": ("18,00", 0)})
    campaign_programme = "Stadtgutschein Advent"
    programme_id = await asyncio.to_thread(town_programme, town, name=campaign_programme)
    started = await asyncio.to_thread(campaign, town, programme_id, percent=10, budget=20_000, cap=1_000)

    # a customer at a desktop orders a mug for pickup
    customer = await new_page(DESKTOP)
    await put_in_basket(customer, front, "Steingutbecher")
    await customer.get_by_role("link", name="Zur Kasse").click()
    await customer.wait_for_url("**/checkout")
    await customer.get_by_label("Name", exact=True).fill(CUSTOMER)
    await customer.get_by_label("E-Mail", exact=False).fill("clara@example.de")
    await looked_at(customer, "checkout")
    await customer.get_by_role("button", name="Zahlungspflichtig bestellen").click()
    await customer.wait_for_url("**/placed?*")
    await looked_at(customer, "thank-you")
    assert await customer.get_by_text(name).count() >= 1

    # the association reads its page on a phone and at its desk, and suspends the pottery there
    for viewport in (PHONE, DESKTOP):
        office = await new_page(viewport, locale="en-GB")
        await office.goto(f"{front.url}/association")
        await office.wait_for_url("**/association/sign-in")
        await looked_at(office, "association-sign-in")
        await office.get_by_label("The association's token").fill(town.association_token)
        await office.get_by_role("button", name="Sign in").last.click()
        await office.wait_for_url("**/association")
        member = office.locator("li.shop", has_text=name)
        shown = (
            member,
            office.get_by_text(campaign_programme).first,
            office.get_by_role("img", name="Orders by status"),
        )
        await reload_until(
            office, partial(all_visible, *shown), "the member, the programme and the orders on the association's page"
        )
        await looked_at(office, "association-page")
        await office.goto(f"{front.url}/association?campaign={started['campaign_id']}#campaign")
        await office.get_by_role("img", name="Budget of €200.00").wait_for()
        await looked_at(office, "association-campaign")

    await office.goto(f"{front.url}/association")
    await member.get_by_label("Why suspend (the shop reads it)").fill("Beschwerden von Kunden")
    await member.get_by_role("button", name="Suspend").click()
    await office.wait_for_url(f"**/association?merchant={pottery.merchant_id}#member")
    await looked_at(office, "association-suspended")

    await customer.goto(f"{front.url}/search?q=Steingutbecher")
    mug = customer.get_by_role("link", name="Steingutbecher")
    await reload_until(customer, partial(none_of, mug), "the pottery's mug leaving the search")
    await looked_at(customer, "search-after-suspension")
