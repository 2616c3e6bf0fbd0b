# SPDX-License-Identifier: AGPL-3.0-or-later
"""Seed one town's orders through ordering's (and the catalog's) HTTP APIs: a few orders of the
catalog seed's merchants, driven by the merchant's steps to different states.

    .downtown/venv/bin/python -P deploy/local/seed/ordering.py --town schoeppingen \\
        --api http://127.0.0.1:18103 --catalog-api http://127.0.0.1:18101

``make run`` runs it for every town after the catalog's and vouchers' seeds (see
deploy/local/services.sh), giving the APIs as ``DOWNTOWN_ORDERING_API`` and ``DOWNTOWN_CATALOG_API``.

The orders (``ORDERS`` below): one picked up and paid at the shop (handed over), one waiting
for the merchant's answer, one the merchant declined, one a merchant entered for a customer
who phoned (assisted, confirmed), one paid on invoice and handed over (its invoice issued) —
only where a seeded merchant has a tax number, which the catalog does not record yet — and
one delivered and paid at the door. An order is confirmed only once the catalog has reserved
its stock (through Kafka) and the merchant has accepted, so the seed polls each order
(``GET /orders/{id}`` with the merchant's token) between the steps; if the saga stalls it
fails saying which step did not happen (the catalog's reservation, vouchers' payment, the
confirmation) and where to look.

The merchants are the catalog seed's (``.downtown/towns/<town>.seed-tokens.json``); their
offers are read from the catalog (``GET /catalog?merchant=``), the pickup windows from their
opening hours. They reach ordering through Kafka, so a call about an offer ordering has not
heard of yet (404, 503) is repeated until it has.

Idempotent: a checkout and an assisted order carry an Idempotency-Key derived from the town
and the order's fixed name (and a round number), so a second run places nothing again and
only takes the steps still missing. What ordering hands out once — a basket's and a guest
order's tokens — and the exact requests (their pickup window) are kept in
``.downtown/towns/<town>.seed-orders.json`` (owner only). An order that ended other than
meant (the one waiting for its merchant is rejected once the merchant's answer time runs
out, 30 minutes by default) is placed afresh in a new round on the next run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from downtown_events.money import format_money

ROOT = Path(__file__).resolve().parents[3]
TOWNS_DIR = ROOT / ".downtown" / "towns"
TIMEZONE = ZoneInfo("Europe/Berlin")
WAIT_FOR_KAFKA_SECONDS = 90.0  # ordering hears of a merchant's offers a moment after the catalog
SAGA_SECONDS = 60.0  # how long the saga may take without any order moving on
ENDED = {"rejected", "cancelled", "delivery_failed"}
LATE_MORNING = clock(10, 0)  # a pickup window starts then if the shop is open


# --- the orders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    name: str  # fixed: part of its Idempotency-Key
    shows: str  # what it shows, for its line
    target: str  # the status the seed drives it to
    fulfilment: str  # "pickup" or "delivery"
    payment: str
    customer: dict[str, Any]
    prefer: tuple[str, ...]  # merchant categories, in order of preference
    quantity: int = 1
    assisted: bool = False  # entered by the merchant (POST /assisted-orders), not a guest's checkout
    needs_tax_number: bool = False


def _customer(name: str, email: str | None, language: str = "de", **more: Any) -> dict[str, Any]:
    customer: dict[str, Any] = {"name": name, "language": language, **more}
    if email:
        customer["email"] = email
    return customer


BAKERY, WINE, BOOKS, CHEESE = "Bäckerei & Café", "Wein & Spirituosen", "Bücher", "Käse & Feinkost"

ORDERS = [
    Seeded(
        "abgeholt",
        "picked up and paid at the shop",
        "fulfilled",
        "pickup",
        "at_pickup",
        _customer("Anna Becker", "anna.becker@example.de"),
        (BAKERY, CHEESE, WINE),
        quantity=2,
    ),
    Seeded(
        "wartet",
        "waiting for the merchant's answer",
        "placed",
        "pickup",
        "at_pickup",
        _customer("Bernd Hoffmann", "bernd.hoffmann@example.de"),
        (WINE, BOOKS),
    ),
    Seeded(
        "abgelehnt",
        "declined by the merchant",
        "rejected",
        "pickup",
        "at_pickup",
        _customer("Clara Schulz", "clara.schulz@example.de", language="en"),
        (BOOKS, WINE),
    ),
    Seeded(
        "telefonisch",
        "entered by the merchant for a customer who phoned (assisted), confirmed",
        "confirmed",
        "pickup",
        "at_pickup",
        _customer("Hildegard Alt", None, phone="+49 2555 99 88 77"),
        (BAKERY, CHEESE),
        quantity=3,
        assisted=True,
    ),
    Seeded(
        "auf-rechnung",
        "paid on invoice, handed over, invoice issued",
        "fulfilled",
        "pickup",
        "invoice",
        _customer(
            "Dieter Müller",
            "dieter.mueller@example.de",
            billing_address={"street": "Kirchplatz 3", "postal_code": "", "city": ""},
        ),
        (BOOKS, WINE),
        needs_tax_number=True,
    ),
    Seeded(
        "geliefert",
        "delivered and paid at the door",
        "fulfilled",
        "delivery",
        "cash_at_door",
        _customer("Eva Schmitz", "eva.schmitz@example.de"),
        (WINE, BOOKS),
        quantity=2,
    ),
]


# --- the APIs -----------------------------------------------------------------------------


class SeedError(Exception):
    pass


def detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text


def call(
    client: httpx.Client,
    method: str,
    path: str,
    *,
    wait_on: tuple[int, ...] = (503,),
    ok: tuple[int, ...] = (),
    seconds: float = WAIT_FOR_KAFKA_SECONDS,
    **kwargs: Any,
) -> httpx.Response:
    """One request, repeated on a connection failure and, for up to ``seconds``, while it
    answers a status of ``wait_on``. Safe: every creating call carries an idempotency key or
    changes nothing when repeated. An error not in ``ok`` is a :class:`SeedError`."""
    deadline = time.monotonic() + seconds
    failures = 0
    while True:
        try:
            response = client.request(method, path, **kwargs)
        except httpx.TransportError as error:
            failures += 1
            if failures == 4:
                raise SeedError(f"{method} {path}: {error!r} — is the API running at {client.base_url}?") from error
            time.sleep(failures)
            continue
        if response.status_code not in wait_on or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if response.is_error and response.status_code not in ok:
        raise SeedError(f"{method} {client.base_url}{path} answered {response.status_code}: {detail(response)}")
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def town_settings(town_id: str) -> dict[str, str]:
    """deploy/local/towns/<town>.env's settings (the town's name and postal code)."""
    env = ROOT / "deploy" / "local" / "towns" / f"{town_id}.env"
    settings = {}
    if env.exists():
        for line in env.read_text(encoding="utf-8").splitlines():
            name, found, value = line.partition("=")
            if found and not line.startswith("#"):
                settings[name.strip()] = value.strip().strip("'\"")
    return settings


# --- what the seed keeps between runs -----------------------------------------------------


class Kept:
    """Basket and order tokens (handed out once) and the exact requests (a replayed
    Idempotency-Key must come with the same request), in ``.downtown/towns/<town>.seed-orders.json``."""

    def __init__(self, town_id: str) -> None:
        self.path = TOWNS_DIR / f"{town_id}.seed-orders.json"
        self.data: dict[str, Any] = json.loads(self.path.read_text()) if self.path.exists() else {}
        # Part of every key: a record lost (and the orders it named with it) starts new keys.
        self.data.setdefault("since", datetime.now(TIMEZONE).strftime("%Y%m%d%H%M%S"))
        self.data.setdefault("orders", {})

    def order(self, name: str) -> dict[str, Any]:
        orders: dict[str, dict[str, Any]] = self.data["orders"]
        return orders.setdefault(name, {"round": 1})

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(mode=0o600)
        self.path.write_text(json.dumps(self.data, indent=1, ensure_ascii=False))


# --- merchants and offers (the catalog seed's) ----------------------------------------------


@dataclass
class Merchant:
    merchant_id: str
    name: str
    category: str
    token: str
    profile: dict[str, Any]
    opening_hours: list[dict[str, Any]]
    closed: bool
    offers: list[dict[str, Any]]  # the catalog's products of this merchant, in stock
    approved: bool = False  # by the association: only then does it act with money (take orders on invoice)

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.token)

    def offers_(self, fulfilment: str) -> bool:
        return bool(self.profile.get(f"offers_{fulfilment}")) and not self.closed and bool(self.offers)


def seeded_merchants(catalog: httpx.Client, town_id: str, association_token: str) -> list[Merchant]:
    """The merchants deploy/local/seed/catalog.py registered, with working tokens and their products."""
    path = TOWNS_DIR / f"{town_id}.seed-tokens.json"
    if not path.exists():
        raise SeedError(f"{path.relative_to(ROOT)} is missing: run the catalog's seed first")
    tokens: dict[str, str] = json.loads(path.read_text())
    merchants, renewed = [], False
    for merchant_id, token in tokens.items():
        response = call(catalog, "GET", "/merchants/me", headers=bearer(token), ok=(401,))
        if response.status_code == 401:  # replaced since: the association hands out a new one
            issued = call(catalog, "POST", f"/merchants/{merchant_id}/tokens", headers=bearer(association_token))
            token = tokens[merchant_id] = issued.json()["token"]
            renewed = True
            response = call(catalog, "GET", "/merchants/me", headers=bearer(token))
        me = response.json()
        listed = call(catalog, "GET", "/catalog", params={"merchant": merchant_id, "kind": "product", "limit": 50})
        products = [offer for offer in listed.json()["items"] if offer["kind"] == "product" and offer.get("stock")]
        products.sort(key=lambda offer: (-int(offer["stock"]), offer["title"]))
        merchants.append(
            Merchant(
                merchant_id,
                me["profile"]["name"],
                me["profile"]["category"],
                token,
                me["profile"],
                me.get("opening_hours") or [],
                bool(me.get("closed")) or bool(me.get("suspended")),
                products,
                bool(me.get("approved")),
            )
        )
    if renewed:
        path.write_text(json.dumps(tokens, indent=1))
    return merchants


def choose(merchants: list[Merchant], order: Seeded) -> Merchant | None:
    able = [m for m in merchants if m.offers_(order.fulfilment) and pickup_window(m) is not None]
    if order.needs_tax_number:  # an invoice: only an approved shop with a tax number issues one
        able = [m for m in able if m.approved and str(m.profile.get("tax_number") or "").strip()]
    for category in order.prefer:
        for merchant in able:
            if merchant.category == category:
                return merchant
    return able[0] if able else None


def pickup_window(merchant: Merchant, after: date | None = None) -> dict[str, str] | None:
    """An hour in the merchant's first opening span of an hour or more, on a day from tomorrow
    on, in the town's time: from 10:00 if the span allows, else from its opening."""
    day = after or datetime.now(TIMEZONE).date() + timedelta(days=1)
    for offset in range(14):
        candidate = day + timedelta(days=offset)
        spans = sorted(
            (clock.fromisoformat(span["opens"]), clock.fromisoformat(span["closes"]))
            for span in merchant.opening_hours
            if int(span["weekday"]) == candidate.weekday()
        )
        for opens, closes in spans:
            closing = datetime.combine(candidate, closes, TIMEZONE)
            for starts in (
                datetime.combine(candidate, max(opens, LATE_MORNING), TIMEZONE),
                datetime.combine(candidate, opens, TIMEZONE),
            ):
                ends = starts + timedelta(hours=1)
                if ends <= closing:
                    return {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}
    return None


# --- placing and driving the orders ---------------------------------------------------------


@dataclass
class Tracked:
    order: Seeded
    merchant: Merchant
    kept: dict[str, Any]
    state: dict[str, Any]
    renewed: bool = False


class Seeder:
    def __init__(self, town_id: str, ordering: httpx.Client, catalog: httpx.Client, association_token: str) -> None:
        self.town_id = town_id
        self.town = town_settings(town_id)
        self.ordering = ordering
        self.catalog = catalog
        self.association_token = association_token
        self.kept = Kept(town_id)
        self.new = 0

    def key(self, order: Seeded, kept: dict[str, Any]) -> dict[str, str]:
        return {"Idempotency-Key": f"seed:{self.town_id}:{self.kept.data['since']}:order:{order.name}:{kept['round']}"}

    def run(self) -> None:
        merchants = seeded_merchants(self.catalog, self.town_id, self.association_token)
        print(f"seeding {self.town_id} orders: {len(ORDERS)} orders of {len(merchants)} merchants", flush=True)
        tracked, skipped = [], []
        for order in ORDERS:
            merchant = choose(merchants, order)
            if merchant is None:
                why = (
                    "no seeded merchant the association approved has a tax number (an invoice needs both)"
                    if order.needs_tax_number
                    else f"no open merchant with {order.fulfilment} and products in stock"
                )
                skipped.append(f"  {order.name}: skipped, {why}")
                continue
            tracked.append(self.place(order, merchant))
        try:
            self.drive(tracked)
        finally:  # where each order got to, also when the saga stalled
            for item in tracked:
                print(self.line(item), flush=True)
            for line in skipped:
                print(line, flush=True)
        print(
            f"seeded {self.town_id} ({self.town.get('DOWNTOWN_TOWN_NAME', self.town_id)}) orders: {self.new} new — "
            f"a merchant's inbox: {self.ordering.base_url}/orders?view=to_accept (with its token)",
            flush=True,
        )

    # --- placing ---

    def place(self, order: Seeded, merchant: Merchant) -> Tracked:
        kept = self.kept.order(order.name)
        if kept.get("order_id"):
            state = self.show(merchant, kept["order_id"])
            if state["status"] not in ENDED or state["status"] == order.target:
                return Tracked(order, merchant, kept, state)
            next_round = int(kept["round"]) + 1
            kept.clear()  # ended other than meant (the merchant's time ran out): a new round
            kept["round"] = next_round
        state = self.place_assisted(order, merchant, kept) if order.assisted else self.check_out(order, merchant, kept)
        return Tracked(order, merchant, kept, state)

    def request(self, order: Seeded, merchant: Merchant, kept: dict[str, Any]) -> dict[str, Any]:
        """The choice for the merchant's order, made once and kept (its window is a date)."""
        if "choice" not in kept:
            if order.fulfilment == "pickup":
                fulfilment: dict[str, Any] = {"method": "pickup", "window": pickup_window(merchant)}
            else:
                fulfilment = {"method": "delivery", "address": self.address("Am Markt 1")}
            kept["choice"] = {"fulfilment": fulfilment, "payment": {"method": order.payment}}
            customer = dict(order.customer)
            if "billing_address" in customer:
                customer["billing_address"] = self.address(customer["billing_address"]["street"])
            kept["customer"] = customer
            kept["offer_id"] = merchant.offers[0]["offer_id"]
            self.kept.save()
        return kept

    def address(self, street: str) -> dict[str, str]:
        return {
            "street": street,
            "postal_code": self.town.get("DOWNTOWN_TOWN_POSTAL_CODE", "48624"),
            "city": self.town.get("DOWNTOWN_TOWN_NAME", self.town_id),
        }

    def check_out(self, order: Seeded, merchant: Merchant, kept: dict[str, Any]) -> dict[str, Any]:
        self.request(order, merchant, kept)
        if "basket_id" not in kept:  # opening a basket is not idempotent: keep it at once
            opened = call(self.ordering, "POST", "/baskets").json()
            kept.update(basket_id=opened["basket"]["basket_id"], basket_token=opened["access_token"])
            self.kept.save()
        basket = {"Basket-Token": kept["basket_token"]}
        shown = call(self.ordering, "GET", f"/baskets/{kept['basket_id']}", headers=basket).json()
        if not shown["checked_out"]:
            line = {"offer_id": kept["offer_id"], "quantity": order.quantity}
            # 404/503: ordering's replica of the catalog has not heard of the offer yet.
            call(
                self.ordering,
                "POST",
                f"/baskets/{kept['basket_id']}/lines",
                json=line,
                headers=basket,
                wait_on=(404, 503),
            )
        body = {"customer": kept["customer"], "merchants": {merchant.merchant_id: kept["choice"]}}
        headers = {**basket, **self.key(order, kept)}
        # On invoice, 422 while ordering's replica has not heard of the shop's approval or tax number yet.
        waits = (422, 503) if order.payment == "invoice" else (503,)
        path = f"/baskets/{kept['basket_id']}/checkout"
        placed = call(self.ordering, "POST", path, json=body, headers=headers, wait_on=waits)
        return self.placed(placed, kept)

    def place_assisted(self, order: Seeded, merchant: Merchant, kept: dict[str, Any]) -> dict[str, Any]:
        self.request(order, merchant, kept)
        body = {
            "merchant_id": merchant.merchant_id,
            "lines": [{"offer_id": kept["offer_id"], "quantity": order.quantity}],
            "customer": kept["customer"],
            "choice": kept["choice"],
        }
        headers = {**merchant.auth, **self.key(order, kept)}
        placed = call(self.ordering, "POST", "/assisted-orders", json=body, headers=headers, wait_on=(404, 503))
        return self.placed(placed, kept)

    def placed(self, response: httpx.Response, kept: dict[str, Any]) -> dict[str, Any]:
        answer = response.json()
        (state,) = answer["orders"]
        kept["order_id"] = state["order_id"]
        if answer.get("order_link_token"):  # handed out once, by the request that checked out
            kept["order_token"] = answer["order_link_token"]
        self.kept.save()
        self.new += response.status_code == 201
        return dict(state)

    def show(self, merchant: Merchant, order_id: str) -> dict[str, Any]:
        return dict(call(self.ordering, "GET", f"/orders/{order_id}", headers=merchant.auth).json())

    # --- the merchant's steps, as far as the saga lets them go ---

    def drive(self, tracked: list[Tracked]) -> None:
        """Take each order's next step whenever it can be taken; fail if nothing moves for SAGA_SECONDS."""
        deadline = time.monotonic() + SAGA_SECONDS
        while True:
            waiting = []
            for item in tracked:
                step = next_step(item.order, item.state)
                if step is None:
                    continue
                if isinstance(step, Waiting):
                    waiting.append((item, step))
                    continue
                path, body = step
                response = call(
                    self.ordering,
                    "POST",
                    f"/orders/{item.state['order_id']}/{path}",
                    json=body,
                    headers=item.merchant.auth,
                    ok=(409, 422),
                )
                if response.is_error:
                    item.state = self.show(item.merchant, item.state["order_id"])
                    if next_step(item.order, item.state) == step:  # refused, and not because it moved on
                        raise SeedError(
                            f"order {item.order.name} ({item.state['order_id']}, {item.state['status']}): "
                            f"{path} answered {response.status_code}: {detail(response)}"
                        )
                else:
                    item.state = response.json()
                deadline = time.monotonic() + SAGA_SECONDS
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise SeedError(self.stalled(waiting))
            time.sleep(0.3)
            for item, _ in waiting:
                item.state = self.show(item.merchant, item.state["order_id"])

    def stalled(self, waiting: list[tuple[Tracked, Waiting]]) -> str:
        lines = [f"the order saga did not move on within {SAGA_SECONDS:.0f} s:"]
        for item, step in waiting:
            lines.append(f"  order {item.order.name} ({item.state['order_id']}): {step.what(self.town_id)}")
        lines.append("(the orders are placed; `make run` again takes the missing steps once the saga moves)")
        return "\n".join(lines)

    def line(self, item: Tracked) -> str:
        state, order = item.state, item.order
        notes = [format_money(state["total_cents"], "de"), state["status"]]
        if state["status"] == "placed":
            answer_by = datetime.fromisoformat(state["merchant_answer_by"]).astimezone(TIMEZONE)
            notes.append("accepted" if state["accepted"] else f"the merchant answers by {answer_by:%d.%m. %H:%M}")
            notes.append("stock reserved" if state["stock_reserved"] else "stock not reserved yet")
        if state.get("rejection_reason"):
            notes.append(f"reason {state['rejection_reason']}")
        if state.get("invoice_number"):
            notes.append(f"invoice {state['invoice_number']}")
        if state.get("pickup_window"):
            starts = datetime.fromisoformat(state["pickup_window"]["starts_at"]).astimezone(TIMEZONE)
            notes.append(f"pickup {starts:%d.%m. %H:%M}")
        if item.kept.get("order_token"):
            notes.append("guest's Order-Token in " + str(self.kept.path.relative_to(ROOT)))
        return f"  {order.name}: order {state['order_id']} at {item.merchant.name}, {order.shows}: " + ", ".join(notes)


# --- what an order needs next ---------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A step that is not the merchant's: the saga's (a consumer of another service, or ordering's)."""

    state: dict[str, Any]

    def what(self, town: str) -> str:
        state = self.state
        if not state["stock_reserved"]:
            return (
                "the catalog's stock reservation did not happen (stock_reserved is still false): the catalog's "
                "reservation consumer (services/catalog) does not run or is behind — "
                f"see .downtown/logs/{town}-catalog-worker.log"
            )
        if state["voucher_cents"] and not state["voucher_redeemed"]:
            return (
                "vouchers' payment of the voucher part did not happen (voucher_redeemed is still false): vouchers' "
                f"payment consumer (services/vouchers) does not run — see .downtown/logs/{town}-vouchers-worker.log"
            )
        return (
            "stock reserved and accepted, but the order was not confirmed: ordering's saga did not decide it — "
            f"see .downtown/logs/{town}-ordering-worker.log"
        )


Step = tuple[str, dict[str, Any]] | Waiting | None
PROGRESS = {"placed": 0, "confirmed": 1, "packed": 2, "ready_for_pickup": 3, "out_for_delivery": 3, "fulfilled": 4}
MERCHANT_STEPS: dict[tuple[str, str], Callable[[dict[str, Any]], Step]] = {
    # (fulfilment, status) -> the merchant's next step towards fulfilled
    ("pickup", "confirmed"): lambda state: ("ready", {}),
    ("pickup", "packed"): lambda state: ("ready", {}),
    ("pickup", "ready_for_pickup"): lambda state: ("handed-over", {"paid_cents": paid_on_the_spot(state)}),
    ("delivery", "confirmed"): lambda state: ("packed", {}),
    ("delivery", "packed"): lambda state: ("out-for-delivery", {}),
    ("delivery", "out_for_delivery"): lambda state: ("delivered", {"paid_cents": paid_on_the_spot(state)}),
}


def paid_on_the_spot(state: dict[str, Any]) -> int:
    return 0 if state["payment_method"] == "invoice" else int(state["left_to_pay_cents"])


def next_step(order: Seeded, state: dict[str, Any]) -> Step:
    """The merchant's next step (path, body), a wait for the saga, or None when it is there."""
    status = state["status"]
    if status == order.target:
        return Waiting(state) if status == "placed" and not state["stock_reserved"] else None
    if status in ENDED:
        raise SeedError(f"order {order.name} ({state['order_id']}) is {status}, not {order.target}; run the seed again")
    if PROGRESS.get(status, -1) > PROGRESS.get(order.target, len(PROGRESS)):
        return None  # taken further by hand (the guide's steps): leave it there
    if order.target == "rejected":
        return ("decline", {"reason": "Leider heute nicht vorrätig"})
    if status == "placed":
        return Waiting(state) if state["accepted"] else ("accept", {})
    return MERCHANT_STEPS[(order.fulfilment, status)](state)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--town", required=True, help="town id, e.g. schoeppingen or muenster")
    parser.add_argument(
        "--api",
        default=os.environ.get("DOWNTOWN_ORDERING_API"),
        help="the town's ordering API, e.g. http://127.0.0.1:18103 (default: $DOWNTOWN_ORDERING_API)",
    )
    parser.add_argument(
        "--catalog-api",
        default=os.environ.get("DOWNTOWN_CATALOG_API"),
        help="the town's catalog API, e.g. http://127.0.0.1:18101 (default: $DOWNTOWN_CATALOG_API)",
    )
    parser.add_argument(
        "--association-token",
        default=os.environ.get("DOWNTOWN_ASSOCIATION_TOKEN"),
        help="the town's association token (default: $DOWNTOWN_ASSOCIATION_TOKEN), for a merchant's lost token",
    )
    args = parser.parse_args(argv)
    for option, name in (("api", "DOWNTOWN_ORDERING_API"), ("catalog_api", "DOWNTOWN_CATALOG_API")):
        if not getattr(args, option):
            parser.error(f"give --{option.replace('_', '-')} or set {name}")
    if not args.association_token:
        parser.error("give --association-token or set DOWNTOWN_ASSOCIATION_TOKEN")
    try:
        with (
            httpx.Client(base_url=args.api.rstrip("/"), timeout=60) as ordering,
            httpx.Client(base_url=args.catalog_api.rstrip("/"), timeout=60) as catalog,
        ):
            Seeder(args.town, ordering, catalog, args.association_token).run()
    except SeedError as error:
        print(f"seeding {args.town} orders failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
