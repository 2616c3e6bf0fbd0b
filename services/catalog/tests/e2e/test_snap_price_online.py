"""A merchant goes online through the running catalog's HTTP API, and customers find it.

Drives real processes (API and faust worker) over HTTP, with Kafka and PostgreSQL between
them: register, list a product with a phone photo, find it by a German search.
"""

from __future__ import annotations

import socket
import time
import uuid
from io import BytesIO
from typing import Any

import httpx
from photo_samples import not_an_image, sample_photo
from PIL import Image

from tests.support.local_stack import CatalogInstance

REGISTRATION = {
    "name": "Weinhandlung Böckmann",
    "category": "Wein & Spirituosen",
    "address": {"street": "Hauptstraße 12", "postal_code": "48624", "city": "Schöppingen"},
    "phone": "+49 2555 1234",
    "email": "info@boeckmann.example",
    "offers_delivery": True,
    "offers_pickup": True,
    "opening_hours": [{"weekday": d, "opens": "09:00", "closes": "18:30"} for d in range(6)],
}


def register(catalog: CatalogInstance, **changes: Any) -> tuple[str, dict[str, str]]:
    response = httpx.post(f"{catalog.api}/merchants", json={**REGISTRATION, **changes})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["merchant"]["merchant_id"], {"Authorization": f"Bearer {body['token']}"}


def list_product(
    catalog: CatalogInstance,
    auth: dict[str, str],
    title: str,
    price: str = "12,90",
    photo: bytes | None = None,
    key: str | None = None,
) -> httpx.Response:
    headers = {**auth, **({"Idempotency-Key": key} if key else {})}
    files = {"photo": ("IMG_0042.jpg", photo or sample_photo("jpeg", gps=True, text=title), "image/jpeg")}
    return httpx.post(
        f"{catalog.api}/offers/products",
        headers=headers,
        files=files,
        data={"price": price, "title": title},
        timeout=30,
    )


def announce_huge_upload(catalog: CatalogInstance, auth: dict[str, str]) -> bytes:
    """Announce a 1 GB body and send none of it: the answer must come from the headers alone."""
    host, port = catalog.api.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            f"POST /offers/products HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth['Authorization']}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000000000\r\n\r\n".encode()
        )
        return connection.recv(4096)


def search(catalog: CatalogInstance, **params: Any) -> dict[str, Any]:
    response = httpx.get(f"{catalog.api}/catalog", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def eventually(check: Any, seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def test_snap_price_online_and_found_by_a_german_search(catalog: CatalogInstance) -> None:
    merchant_id, auth = register(catalog)
    listed = list_product(catalog, auth, "Wein vom Weingut Müller", price="12,90")
    assert listed.status_code == 201, listed.text
    offer = listed.json()

    found = eventually(lambda: search(catalog, q="Weine")["items"])

    assert [item["offer_id"] for item in found] == [offer["offer_id"]]
    item = found[0]
    assert (item["price_cents"], item["price"], item["merchant_name"]) == (1290, "12,90 €", "Weinhandlung Böckmann")
    assert search(catalog, q="Weinh")["total"] == 1  # prefix of the merchant's name while typing
    assert search(catalog, q="Käse")["total"] == 0
    photo = httpx.get(f"{catalog.api}{item['photo']['medium']}")
    assert photo.status_code == 200
    assert "immutable" in photo.headers["cache-control"]
    assert not Image.open(BytesIO(photo.content)).getexif()  # the phone's GPS position is gone
    directory = httpx.get(f"{catalog.api}/directory/{merchant_id}").json()
    assert directory["availability"] == "delivery and pickup" and directory["products"] == 1


def test_a_retried_listing_with_the_same_idempotency_key_lists_once(catalog: CatalogInstance) -> None:
    _, auth = register(catalog, name="Käserei Hölscher")
    key = f"listing-{uuid.uuid4()}"

    first = list_product(catalog, auth, "Bergkäse", key=key)
    retry = list_product(catalog, auth, "Bergkäse", key=key)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["offer_id"] == retry.json()["offer_id"]
    assert eventually(lambda: search(catalog, q="Bergkäse")["total"]) == 1


def test_bad_input_gets_a_clear_4xx_and_changes_nothing(catalog: CatalogInstance) -> None:
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
    assert eventually(lambda: search(catalog, q="Krimi")["total"]) == 1
    assert search(catalog, q="Kaputt")["total"] == 0 and search(catalog, q="Teuer")["total"] == 0


def test_the_association_suspends_a_merchant_and_its_offers_leave_the_catalog(catalog: CatalogInstance) -> None:
    merchant_id, auth = register(catalog, name="Schwarzmarkt Meier")
    list_product(catalog, auth, "Zweifelhafte Uhren")
    assert eventually(lambda: search(catalog, q="Uhren")["total"]) == 1
    association = {"Authorization": f"Bearer {catalog.association_token}"}

    by_merchant = httpx.post(f"{catalog.api}/merchants/{merchant_id}/suspension", json={"reason": "x"}, headers=auth)
    suspended = httpx.post(
        f"{catalog.api}/merchants/{merchant_id}/suspension",
        json={"reason": "Beschwerden von Kunden"},
        headers=association,
    )

    assert by_merchant.status_code == 403
    assert suspended.status_code == 200 and suspended.json()["suspended"] is True
    assert eventually(lambda: search(catalog, q="Uhren")["total"] == 0)
    assert list_product(catalog, auth, "Noch mehr Uhren").status_code == 403
