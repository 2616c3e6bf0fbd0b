# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant goes online through the running catalog's HTTP API, and customers find it.

Drives real processes (API and faust worker) over HTTP, with Kafka and PostgreSQL between
them: register, list a product with a phone photo, find it by a German search.
"""

from __future__ import annotations

import uuid
from io import BytesIO

import httpx
from photo_samples import not_an_image, sample_photo
from PIL import Image

from tests.support.catalog_client import announce_huge_upload, list_product, register, search
from tests.support.local_stack import ServiceInstance
from tests.support.polling import wait_until


def test_snap_price_online_and_found_by_a_german_search(catalog: ServiceInstance) -> None:
    merchant_id, auth = register(catalog)
    listed = list_product(catalog, auth, "Wein vom Weingut Müller", price="12,90")
    assert listed.status_code == 201, listed.text
    offer = listed.json()

    found = wait_until(lambda: search(catalog, q="Weine")["items"])

    assert [item["offer_id"] for item in found] == [offer["offer_id"]]
    item = found[0]
    assert (item["price_cents"], item["price"], item["merchant_name"]) == (
        1290,
        "12,90\u00a0€",
        "Weinhandlung Böckmann",
    )
    assert search(catalog, q="Weinh")["total"] == 1  # prefix of the merchant's name while typing
    assert search(catalog, q="Käse")["total"] == 0
    photo = httpx.get(f"{catalog.api}{item['photo']['medium']}")
    assert photo.status_code == 200
    assert "immutable" in photo.headers["cache-control"]
    assert not Image.open(BytesIO(photo.content)).getexif()  # the phone's GPS position is gone
    directory = httpx.get(f"{catalog.api}/directory/{merchant_id}").json()  # German first
    assert directory["availability"] == "Lieferung und Abholung" and directory["products"] == 1
    assert directory["opening_hours"][0] == {
        "weekday": 0,
        "weekday_name": "Montag",
        "opens": "09:00:00",
        "closes": "18:30:00",
    }
    english = httpx.get(f"{catalog.api}/directory/{merchant_id}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert (english.json()["availability"], english.json()["opening_hours"][5]["weekday_name"]) == (
        "delivery and pickup",
        "Saturday",
    )
    asked = httpx.get(f"{catalog.api}/directory", params={"lang": "en"}, headers={"Accept-Language": "de"})
    assert {entry["availability"] for entry in asked.json()} == {"delivery and pickup"}


def test_a_retried_listing_with_the_same_idempotency_key_lists_once(catalog: ServiceInstance) -> None:
    _, auth = register(catalog, name="Käserei Hölscher")
    key = f"listing-{uuid.uuid4()}"

    first = list_product(catalog, auth, "Bergkäse", key=key)
    retry = list_product(catalog, auth, "Bergkäse", key=key)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["offer_id"] == retry.json()["offer_id"]
    assert wait_until(lambda: search(catalog, q="Bergkäse")["total"]) == 1


def test_bad_input_gets_a_clear_4xx_and_changes_nothing(catalog: ServiceInstance) -> None:
    _, auth = register(catalog, name="Buchhandlung Lesezeichen")
    _, stranger = register(catalog, name="Fremder Laden")
    offer = list_product(catalog, auth, "Krimi aus dem Münsterland", price="9,99").json()

    no_price = httpx.post(
        f"{catalog.api}/offers/products", headers=auth, files={"photo": ("a.jpg", sample_photo("jpeg"), "image/jpeg")}
    )
    not_a_photo = list_product(catalog, auth, "Kaputt", photo=not_an_image())
    bad_price = list_product(catalog, auth, "Teuer", price="zwölf Euro")
    no_token = httpx.put(f"{catalog.api}/offers/{offer['offer_id']}/price", json={"price": "1,00"})
    foreign = httpx.put(f"{catalog.api}/offers/{offer['offer_id']}/price", json={"price": "1,00"}, headers=stranger)
    too_much_stock_out = httpx.post(
        f"{catalog.api}/offers/{offer['offer_id']}/stock-adjustments", json={"delta": -5}, headers=auth
    )

    assert b"413" in announce_huge_upload(catalog, auth).split(b"\r\n", 1)[0]
    assert no_price.status_code == 422 and no_price.json()["errors"][0]["field"] == "price"
    assert no_price.headers["content-type"] == "application/problem+json"
    assert not_a_photo.status_code == 422 and "JPEG, PNG, WebP or HEIC" in not_a_photo.json()["detail"]
    assert bad_price.status_code == 422 and "12,90" in bad_price.json()["detail"]
    assert no_token.status_code == 401
    assert foreign.status_code == 404
    assert too_much_stock_out.status_code == 422 and "in stock" in too_much_stock_out.json()["detail"]
    mine = httpx.get(f"{catalog.api}/offers/mine/{offer['offer_id']}", headers=auth).json()
    assert (mine["price_cents"], mine["stock"], mine["version"]) == (999, None, 2)  # listed + photo, nothing else
    assert wait_until(lambda: search(catalog, q="Krimi")["total"]) == 1
    assert search(catalog, q="Kaputt")["total"] == 0 and search(catalog, q="Teuer")["total"] == 0


def test_the_association_suspends_a_merchant_and_its_offers_leave_the_catalog(catalog: ServiceInstance) -> None:
    merchant_id, auth = register(catalog, name="Schwarzmarkt Meier")
    list_product(catalog, auth, "Zweifelhafte Uhren")
    assert wait_until(lambda: search(catalog, q="Uhren")["total"]) == 1
    association = {"Authorization": f"Bearer {catalog.association_token}"}

    by_merchant = httpx.post(f"{catalog.api}/merchants/{merchant_id}/suspension", json={"reason": "x"}, headers=auth)
    suspended = httpx.post(
        f"{catalog.api}/merchants/{merchant_id}/suspension",
        json={"reason": "Beschwerden von Kunden"},
        headers=association,
    )

    assert by_merchant.status_code == 403
    assert suspended.status_code == 200 and suspended.json()["suspended"] is True
    assert wait_until(lambda: search(catalog, q="Uhren")["total"] == 0)
    assert list_product(catalog, auth, "Noch mehr Uhren").status_code == 403
