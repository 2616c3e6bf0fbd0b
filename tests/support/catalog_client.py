# SPDX-License-Identifier: AGPL-3.0-or-later
"""A client of a running catalog, as the end-to-end tests and benchmarks drive it over HTTP."""

from __future__ import annotations

import socket
from typing import Any

import httpx

from tests.support.local_stack import ServiceInstance

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


def approve(catalog: ServiceInstance, association_token: str, merchant_id: str) -> None:
    """The association vouches for the merchant (the catalog's ``MerchantApproved``): what lets
    it act with money in vouchers and take orders on invoice."""
    response = httpx.post(
        f"{catalog.api}/merchants/{merchant_id}/approval", headers={"Authorization": f"Bearer {association_token}"}
    )
    assert response.status_code == 200, response.text


def register(catalog: ServiceInstance, **changes: Any) -> tuple[str, dict[str, str]]:
    response = httpx.post(f"{catalog.api}/merchants", json={**REGISTRATION, **changes})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["merchant"]["merchant_id"], {"Authorization": f"Bearer {body['token']}"}


def list_product(
    catalog: ServiceInstance,
    auth: dict[str, str],
    title: str,
    price: str = "12,90",
    photo: bytes | None = None,
    key: str | None = None,
) -> httpx.Response:
    from photo_samples import sample_photo  # on the tests' path; imported here so bench/ can use this module

    headers = {**auth, **({"Idempotency-Key": key} if key else {})}
    files = {"photo": ("IMG_0042.jpg", photo or sample_photo("jpeg", gps=True, text=title), "image/jpeg")}
    return httpx.post(
        f"{catalog.api}/offers/products",
        headers=headers,
        files=files,
        data={"price": price, "title": title},
        timeout=30,
    )


def announce_huge_upload(catalog: ServiceInstance, auth: dict[str, str]) -> bytes:
    """Announce a 1 GB body and send none of it: the answer must come from the headers alone."""
    host, port = catalog.api.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            f"POST /offers/products HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth['Authorization']}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000000000\r\n\r\n".encode()
        )
        return connection.recv(4096)


def search(catalog: ServiceInstance, **params: Any) -> dict[str, Any]:
    response = httpx.get(f"{catalog.api}/catalog", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
