# SPDX-License-Identifier: AGPL-3.0-or-later
"""A client of a running town with catalog, vouchers and ordering, as the end-to-end tests and
benchmarks drive it over HTTP: shops with offers, baskets, checkouts, the merchant's steps."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.support.catalog_client import approve, list_product, register
from tests.support.local_stack import RunningTown
from tests.support.polling import wait_until

CUSTOMER = {"name": "Anna Beispiel", "email": "anna@example.de", "language": "de"}
BILLING = {"street": "Kirchplatz 3", "postal_code": "48624", "city": "Schöppingen"}
ENDED = {"fulfilled", "rejected", "cancelled", "delivery_failed"}
UNLIMITED_GUEST_CHECKOUTS = {
    "DOWNTOWN_GUEST_CHECKOUTS_PER_CLIENT_HOUR": "1000000",
    "DOWNTOWN_GUEST_CHECKOUTS_PER_ADDRESS_HOUR": "1000000",
}
"""For a town whose tests or benchmark check out as guests from one machine with one address,
hundreds of times an hour: the guest checkout limits (tested in a town of their own) out of reach."""


@dataclass
class Shop:
    merchant_id: str
    auth: dict[str, str]
    offers: dict[str, str]
    """Offer ids by title."""


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


EVERY_DAY = [{"weekday": day, "opens": "08:00", "closes": "20:00"} for day in range(7)]
TIMEZONE = ZoneInfo("Europe/Berlin")


def town_time(days_from_now: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time of the town, ``days_from_now`` days away."""
    day = datetime.now(TIMEZONE) + timedelta(days=days_from_now)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def open_shop(
    town: RunningTown, name: str, products: dict[str, tuple[str, int]], *, approved: bool = True, **registration: Any
) -> Shop:
    """A merchant registered at the catalog (open every day 08:00-20:00) with products (title →
    (price, stock)), approved by the town's association (unless ``approved=False``), known to
    ordering's replica, approval and all, when this returns. Only an approved shop acts with
    money; one that takes orders on invoice also needs a ``tax_number`` (VAT id or
    Steuernummer) in its registration."""
    catalog = town["catalog"]
    merchant_id, auth = register(catalog, name=name, **{"opening_hours": EVERY_DAY, **registration})
    if approved:
        approve_merchant(town, merchant_id)
    offers = {}
    for title, (price, stock) in products.items():
        response = list_product(catalog, auth, title, price=price, key=str(uuid.uuid4()))
        assert response.status_code == 201, response.text
        offer_id = response.json()["offer_id"]
        if stock:
            adjusted = httpx.post(
                f"{catalog.api}/offers/{offer_id}/stock-adjustments", json={"delta": stock}, headers=auth
            )
            assert adjusted.status_code == 200, adjusted.text
        offers[title] = offer_id
    shop = Shop(merchant_id, auth, offers)
    wait_until(
        lambda: _replica_knows(town, shop, products, approved=approved),
        seconds=30,
        what=f"ordering hearing of {name}'s offers",
    )
    return shop


def association(town: RunningTown) -> dict[str, str]:
    return {"Authorization": f"Bearer {town.association_token}"}


def approve_merchant(town: RunningTown, merchant_id: str) -> None:
    """The association vouches for the merchant (the catalog's ``MerchantApproved``)."""
    approve(town["catalog"], town.association_token, merchant_id)


def change_profile(town: RunningTown, shop: Shop, **changes: Any) -> None:
    """The merchant changes its profile at the catalog (the whole profile is sent again, changed
    by ``changes``; ``tax_number=""`` removes the tax number), and ordering's replica has it
    when this returns."""
    catalog = town["catalog"]
    me = httpx.get(f"{catalog.api}/merchants/me", headers=shop.auth)
    assert me.status_code == 200, me.text
    profile = me.json()["profile"] | changes
    if "tax_number" in changes and "tax_number_kind" not in changes:
        profile.pop("tax_number_kind", None)  # the stored kind is the old number's; the new one's form says
    changed = httpx.put(f"{catalog.api}/merchants/me/profile", json=profile, headers=shop.auth)
    assert changed.status_code == 200, changed.text
    expected = {"name": profile["name"], "tax_number": profile["tax_number"] or None}

    def replica_has_it() -> bool:
        rows = town_rows(
            town, "SELECT name, tax_number FROM ordering_merchants WHERE merchant_id = %s", (shop.merchant_id,)
        )
        return bool(rows) and rows[0] == expected

    wait_until(replica_has_it, seconds=30, what=f"ordering hearing of {shop.merchant_id}'s new profile")


def list_service(
    town: RunningTown,
    shop: Shop,
    title: str,
    price: str,
    minutes: int,
    windows: list[dict[str, Any]],
    *,
    held: str = "in_person",
) -> str:
    """A service the shop lists at the catalog (``held="video"``: a video consultation, for a
    shop whose profile has its ``video_consultation_url``); its id, also kept in ``shop.offers``."""
    response = httpx.post(
        f"{town['catalog'].api}/offers/services",
        json={
            "title": title,
            "price": price,
            "duration_minutes": minutes,
            "weekly_availability": windows,
            "held": held,
        },
        headers={**shop.auth, **key()},
    )
    assert response.status_code == 201, response.text
    offer_id: str = response.json()["offer_id"]
    shop.offers[title] = offer_id
    return offer_id


def _replica_knows(
    town: RunningTown, shop: Shop, products: dict[str, tuple[str, int]], *, approved: bool = False
) -> bool:
    rows = town_rows(town, "SELECT offer_id, stock FROM ordering_offers WHERE merchant_id = %s", (shop.merchant_id,))
    merchants = town_rows(
        town,
        "SELECT 1 FROM ordering_merchants WHERE merchant_id = %s AND name IS NOT NULL AND (approved OR NOT %s)",
        (shop.merchant_id, approved),
    )
    stocks = {str(row["offer_id"]): row["stock"] for row in rows}
    return bool(merchants) and all(
        shop.offers[title] in stocks and (not stock or stocks[shop.offers[title]] == stock)
        for title, (_, stock) in products.items()
    )


def town_rows(town: RunningTown, query: str, params: Any = ()) -> list[dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(town["ordering"].env["DOWNTOWN_DATABASE_URL"], row_factory=dict_row) as conn:
        return list(conn.execute(query, params).fetchall())  # type: ignore[arg-type]


@dataclass
class GuestBasket:
    basket_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Basket-Token": self.token}


def _post(http: httpx.Client | None) -> Callable[..., httpx.Response]:
    """A kept-alive client's ``post`` (a benchmark's customers), else a client per call: each
    new client builds an SSL context, which costs more CPU than the request it sends."""
    return http.post if http is not None else httpx.post


def open_basket(town: RunningTown, http: httpx.Client | None = None) -> GuestBasket:
    response = _post(http)(f"{town['ordering'].api}/baskets")
    assert response.status_code == 201, response.text
    body = response.json()
    return GuestBasket(body["basket"]["basket_id"], body["access_token"])


def put(
    town: RunningTown,
    basket: GuestBasket,
    offer_id: str,
    quantity: int = 1,
    slot: dict[str, str] | None = None,
    http: httpx.Client | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"offer_id": offer_id, "quantity": quantity}
    if slot is not None:
        body["slot"] = slot
    url = f"{town['ordering'].api}/baskets/{basket.basket_id}/lines"
    return _post(http)(url, json=body, headers=basket.headers)


def pickup(days_from_now: int = 1, hour: int = 10, **payment: Any) -> dict[str, Any]:
    """Pick up in the shop's opening hours (every shop here opens 08:00-20:00 every day)."""
    starts = town_time(days_from_now, hour)
    return {
        "fulfilment": {
            "method": "pickup",
            "window": {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()},
        },
        "payment": {"method": "at_pickup", **payment},
    }


def delivery(postal_code: str = "48624", **payment: Any) -> dict[str, Any]:
    return {
        "fulfilment": {
            "method": "delivery",
            "address": {"street": "Am Markt 1", "postal_code": postal_code, "city": "Schöppingen"},
        },
        "payment": {"method": "cash_at_door", **payment},
    }


def check_out(
    town: RunningTown,
    basket: GuestBasket,
    merchants: dict[str, dict[str, Any]],
    customer: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    http: httpx.Client | None = None,
) -> httpx.Response:
    body = {"customer": customer or CUSTOMER, "merchants": merchants}
    headers = {**basket.headers, "Idempotency-Key": idempotency_key or str(uuid.uuid4())}
    return _post(http)(
        f"{town['ordering'].api}/baskets/{basket.basket_id}/checkout", json=body, headers=headers, timeout=30
    )


def order(town: RunningTown, order_id: str, headers: dict[str, str]) -> dict[str, Any]:
    response = httpx.get(f"{town['ordering'].api}/orders/{order_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for(
    town: RunningTown, order_id: str, headers: dict[str, str], *, seconds: float = 40.0, **expected: Any
) -> dict[str, Any]:
    """The order once every ``expected`` field has its value (status="confirmed", ...)."""
    seen: dict[str, Any] = {}

    def matches() -> bool:
        seen.update(order(town, order_id, headers))
        return all(seen.get(name) == value for name, value in expected.items())

    try:
        wait_until(matches, seconds=seconds, every=0.1, what=f"order {order_id} reaching {expected}")
    except AssertionError as late:
        raise AssertionError(f"{late}; it is {seen}") from None
    return seen


def step(town: RunningTown, shop: Shop, order_id: str, name: str, **body: Any) -> httpx.Response:
    return httpx.post(f"{town['ordering'].api}/orders/{order_id}/{name}", json=body, headers=shop.auth)


def guest(token: str) -> dict[str, str]:
    return {"Order-Token": token}
