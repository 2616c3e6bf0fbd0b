# SPDX-License-Identifier: AGPL-3.0-or-later
"""Seed one town's delivery through dispatch's HTTP API: a courier service with two couriers
(a cargo bike and a car) on shifts for the coming week, and the town's delivery terms — a zone
drawn around the centre and the town's postal code, 3,90 € (free from 50 € of goods), slots in
the morning, afternoon and evening from Monday to Saturday, and Thursday's town round for 1,90 €.

    .downtown/venv/bin/python -P deploy/local/seed/dispatch.py --town schoeppingen \\
        --api http://127.0.0.1:18104

``make run`` runs it for every town after the other seeds (see deploy/local/services.sh),
giving the API as ``DOWNTOWN_DISPATCH_API``. Once the terms are published, ordering's checkout
sends delivery orders to the town's couriers (its replica hears of them a moment later).

Idempotent: every creating call carries an Idempotency-Key derived from the town and a stable
name, and the terms are set whole (the same terms again are the same terms). The couriers'
tokens are new on every run (a token is handed out, never stored by dispatch) and kept, owner
only, in ``.downtown/towns/<town>.seed-couriers.json``. Each courier has an e-mail address,
``<name>.kurier@<town>.downtown.example``: asked for at the web front's ``/courier/sign-in``, the
link lands in the town's local mail catcher (``.downtown/mail/<town>/``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep
from typing import Any
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parents[3]
TOWNS_DIR = ROOT / ".downtown" / "towns"
TIMEZONE = ZoneInfo("Europe/Berlin")
SEED_NAMESPACE = uuid.UUID("6b1f0c55-2f0e-4d3a-9d43-5b3f4f1d6a21")
CENTRES = {  # the demo towns' centres and postal codes, as the catalog seed places their shops
    "schoeppingen": ("Schöppingen", 52.1006, 7.2336, "48624"),
    "muenster": ("Münster", 51.9625, 7.6256, "48143"),
}
COURIERS = [("lena", "Lena", "cargo_bike", 8), ("ahmet", "Ahmet", "car", 20)]
WAIT_FOR_ROSTER_SECONDS = 90.0
SHIFT_DAYS = 7
SHIFT = (time(8, 0), time(20, 0))
STANDARD_SLOTS = [(time(10, 0), time(12, 0)), (time(14, 0), time(16, 0)), (time(17, 0), time(19, 0))]
TOWN_ROUND = {"weekday": 3, "starts": "15:00", "ends": "18:00", "capacity": 40, "kind": "town_round"}


def key(town: str, *names: str) -> str:
    return str(uuid.uuid5(SEED_NAMESPACE, "/".join([town, "dispatch", *names])))


def call(client: httpx.Client, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
    response = client.request(
        method, path, headers={"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}, **kwargs
    )
    if response.status_code >= 400:
        raise SystemExit(f"{method} {path}: {response.status_code} {response.text[:500]}")
    return response


def add_courier(
    client: httpx.Client, town: str, service_id: str, association: str, courier: tuple[str, str, str, int]
) -> str:
    """The courier's id, with their e-mail address; a town seeded before couriers had one
    refuses that as another request under the same key (422), and keeps its courier without."""
    slug, name, vehicle, capacity = courier
    path = f"/courier-services/{service_id}/couriers"
    body = {"display_name": name, "vehicle": vehicle, "capacity": capacity}
    headers = {"Authorization": f"Bearer {association}", "Idempotency-Key": key(town, "courier", slug)}
    response = client.post(path, json={**body, "email": f"{slug}.kurier@{town}.downtown.example"}, headers=headers)
    if response.status_code == 422 and "Idempotency-Key" in response.text:
        response = client.post(path, json=body, headers=headers)
    if response.status_code >= 400:
        raise SystemExit(f"POST {path}: {response.status_code} {response.text[:500]}")
    return str(response.json()["courier_id"])


def courier_token(client: httpx.Client, courier_id: str, association: str) -> str:
    """A token for the courier, once dispatch's roster knows them (a moment after they were
    added: the roster is a read model fed from dispatch's own topic)."""
    deadline = monotonic() + WAIT_FOR_ROSTER_SECONDS
    while True:
        response = client.post(f"/couriers/{courier_id}/token", headers={"Authorization": f"Bearer {association}"})
        if response.status_code == 201:
            return str(response.json()["token"])
        if response.status_code != 404 or monotonic() > deadline:
            raise SystemExit(f"POST /couriers/{courier_id}/token: {response.status_code} {response.text[:500]}")
        sleep(0.5)


def terms(courier_service_id: str, lat: float, lon: float, postal_code: str, town_name: str) -> dict[str, Any]:
    """The town's delivery terms: an area of about 6 by 4 km around the centre, or the town's
    postal code, whichever the customer's address shows."""
    half_lat, half_lon = 0.03, 0.03
    corners = [
        (lat - half_lat, lon - half_lon),
        (lat - half_lat, lon + half_lon),
        (lat + half_lat, lon + half_lon),
        (lat + half_lat, lon - half_lon),
    ]
    slots = [
        {"weekday": day, "starts": starts.strftime("%H:%M"), "ends": ends.strftime("%H:%M"), "capacity": 20}
        for day in range(6)
        for starts, ends in STANDARD_SLOTS
    ]
    slots.append(
        {**TOWN_ROUND, "label": f"Donnerstags-Stadttour {town_name}", "fee": {"pricing": "flat", "cents": 190}}
    )
    return {
        "courier_service_id": courier_service_id,
        "zones": [
            {
                "name": f"{town_name} Innenstadt",
                "polygon": [{"lat": round(a, 6), "lon": round(b, 6)} for a, b in corners],
                "postal_codes": [postal_code],
            }
        ],
        "fee": {"pricing": "flat", "cents": 390, "free_above_cents": 5000},
        "slots": slots,
        "lead_minutes": 60,
        "attempts": 2,
    }


def shift_times(day: date, now: datetime) -> tuple[datetime, datetime] | None:
    """The day's shift, from now if it has begun; none for a day whose shift is over."""
    starts = datetime.combine(day, SHIFT[0], TIMEZONE)
    ends = datetime.combine(day, SHIFT[1], TIMEZONE)
    if ends <= now + timedelta(minutes=30):
        return None
    return max(starts, now.replace(second=0, microsecond=0)), ends


def seed(town: str, api: str, association: str) -> None:
    town_name, lat, lon, postal_code = CENTRES.get(town, (town.capitalize(), 52.1006, 7.2336, "48624"))
    now = datetime.now(TIMEZONE)
    with httpx.Client(base_url=api.rstrip("/"), timeout=60) as client:
        service = call(
            client,
            "POST",
            "/courier-services",
            association,
            json={"name": f"Radkurier {town_name}", "phone": "+49 2555 99 00 11"},
            headers={"Idempotency-Key": key(town, "service")},
        ).json()
        service_id = service["courier_service_id"]
        tokens: dict[str, dict[str, str]] = {}
        for courier in COURIERS:
            slug, name, vehicle, _ = courier
            courier_id = add_courier(client, town, service_id, association, courier)
            for offset in range(SHIFT_DAYS):
                day = now.date() + timedelta(days=offset)
                times = shift_times(day, now)
                if times is None:
                    continue
                call(
                    client,
                    "POST",
                    f"/courier-services/{service_id}/couriers/{courier_id}/shifts",
                    association,
                    json={
                        "starts_at": times[0].isoformat(),
                        "ends_at": times[1].isoformat(),
                        "start": {"lat": lat, "lon": lon},
                    },
                    headers={"Idempotency-Key": key(town, "shift", slug, day.isoformat())},
                )
            token = courier_token(client, courier_id, association)
            tokens[courier_id] = {"name": name, "vehicle": vehicle, "token": token}
        call(client, "PUT", "/delivery-terms", association, json=terms(service_id, lat, lon, postal_code, town_name))
    kept = TOWNS_DIR / f"{town}.seed-couriers.json"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.touch(mode=0o600, exist_ok=True)
    kept.write_text(json.dumps({"courier_service_id": service_id, "couriers": tokens}, indent=2))
    names = ", ".join(courier["name"] for courier in tokens.values())
    print(
        f"seeded {town} dispatch: courier service {service_id}, couriers {names} "
        f"on shifts for {SHIFT_DAYS} days, the terms (3,90 €, free from 50 €; Thursday's round 1,90 €); "
        f"courier tokens in {kept.relative_to(ROOT)} — try {api.rstrip('/')}/delivery-terms",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--town", default=os.environ.get("DOWNTOWN_TOWN"), required="DOWNTOWN_TOWN" not in os.environ)
    parser.add_argument("--api", default=os.environ.get("DOWNTOWN_DISPATCH_API", "http://127.0.0.1:18104"))
    parser.add_argument("--association-token", default=os.environ.get("DOWNTOWN_ASSOCIATION_TOKEN"))
    args = parser.parse_args(argv)
    if not args.association_token:
        print("set DOWNTOWN_ASSOCIATION_TOKEN (make run does; see .downtown/towns/<town>.secrets.env)", file=sys.stderr)
        return 2
    seed(args.town, args.api, args.association_token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
