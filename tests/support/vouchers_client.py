"""A client of a running town with catalog and vouchers, as end-to-end tests and benchmarks
drive it over HTTP: merchants from the catalog, programmes, purchases, payments, redemptions."""

from __future__ import annotations

import io
import json
import time
import uuid
from typing import Any

import httpx

from tests.support.catalog_client import register
from tests.support.local_stack import RunningTown, ServiceInstance


def association(town: RunningTown) -> dict[str, str]:
    return {"Authorization": f"Bearer {town.association_token}"}


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def until(call: Any, *, seconds: float = 30.0, ok: tuple[int, ...] = (200, 201)) -> httpx.Response:
    """Repeat ``call()`` while vouchers has not heard of the catalog's news yet (503)."""
    deadline = time.monotonic() + seconds
    while True:
        response: httpx.Response = call()
        if response.status_code in ok or response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def merchant(town: RunningTown, name: str = "Buchhandlung Lesezeichen") -> tuple[str, dict[str, str]]:
    """A merchant registered in the catalog and known to vouchers."""
    merchant_id, auth = register(town["catalog"], name=name)
    vouchers = town["vouchers"]
    deadline = time.monotonic() + 30
    while httpx.get(f"{vouchers.api}/liability", headers=auth).status_code == 401:  # not even the token is known
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return merchant_id, auth


def town_programme(town: RunningTown, **terms: Any) -> str:
    body = {"kind": "town", "name": "Stadtgutschein", "denominations_cents": [1000, 2500, 5000], **terms}
    response = httpx.post(f"{town['vouchers'].api}/programmes", json=body, headers={**association(town), **key()})
    assert response.status_code == 201, response.text
    return str(response.json()["programme_id"])


def join(town: RunningTown, programme_id: str, auth: dict[str, str]) -> None:
    vouchers = town["vouchers"]
    response = until(lambda: httpx.post(f"{vouchers.api}/programmes/{programme_id}/members", json={}, headers=auth))
    assert response.status_code == 200, response.text


def buy(town: RunningTown, programme_id: str, *amounts: int, email: str = "anna@example.de") -> dict[str, Any]:
    body = {"email": email, "vouchers": [{"programme_id": programme_id, "amount_cents": a} for a in amounts]}
    response = until(lambda: httpx.post(f"{town['vouchers'].api}/purchases", json=body, headers=key()))
    assert response.status_code == 201, response.text
    return dict(response.json())


def provider_pays(vouchers: ServiceInstance, purchase: dict[str, Any], reference: str | None = None) -> httpx.Response:
    from vouchers.adapters.payment_webhook import sign

    body = json.dumps(
        {
            "purchase_id": purchase["purchase_id"],
            "reference": reference or f"pay-{uuid.uuid4().hex[:12]}",
            "amount_cents": purchase["total_cents"],
        }
    ).encode()
    signature = sign(vouchers.env["DOWNTOWN_PAYMENT_WEBHOOK_SECRET"], int(time.time()), body)
    return httpx.post(
        f"{vouchers.api}/payments/provider",
        content=body,
        headers={"Content-Type": "application/json", "Downtown-Signature": signature},
    )


def buyer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def codes_in_pdf(pdf: bytes) -> list[str]:
    """Every QR code on every page, read back as a phone at the counter would."""
    import pypdfium2
    import zxingcpp

    found = []
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    for page in document:
        image = page.render(scale=2).to_pil()
        found += [barcode.text for barcode in zxingcpp.read_barcodes(image)]
    return found


def redeem(vouchers: ServiceInstance, auth: dict[str, str], code: str, cents: int, **extra: Any) -> httpx.Response:
    headers = {**auth, **extra.pop("headers", key())}
    return until(
        lambda: httpx.post(
            f"{vouchers.api}/redemptions", json={"code": code, "amount_cents": cents, **extra}, headers=headers
        )
    )


def balance(vouchers: ServiceInstance, code: str) -> httpx.Response:
    return httpx.post(f"{vouchers.api}/balance-lookups", json={"code": code})


def wait_for_code(vouchers: ServiceInstance, code: str, seconds: float = 20.0) -> dict[str, Any]:
    """The code lookup is a read model fed from the store: it knows a new code a moment later."""
    deadline = time.monotonic() + seconds
    while True:
        response = balance(vouchers, code)
        if response.status_code == 200:
            return dict(response.json())
        assert time.monotonic() < deadline, response.text
        time.sleep(0.1)
