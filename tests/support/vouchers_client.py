# SPDX-License-Identifier: AGPL-3.0-or-later
"""A client of a running town with catalog and vouchers, as end-to-end tests and benchmarks
drive it over HTTP: merchants from the catalog, programmes, purchases, payments, redemptions."""

from __future__ import annotations

import io
import json
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.support.catalog_client import approve as approve_at_catalog
from tests.support.catalog_client import register
from tests.support.local_stack import RunningTown, ServiceInstance
from tests.support.polling import PATIENCE, wait_until


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


def merchant(
    town: RunningTown, name: str = "Buchhandlung Lesezeichen", *, approved: bool = True
) -> tuple[str, dict[str, str]]:
    """A merchant registered in the catalog and known to vouchers, approved by the town's
    association (unless ``approved=False``: registered only, it may act with no money)."""
    merchant_id, auth = register(town["catalog"], name=name)
    vouchers = town["vouchers"]
    deadline = time.monotonic() + 30
    while httpx.get(f"{vouchers.api}/liability", headers=auth).status_code == 401:  # not even the token is known
        assert time.monotonic() < deadline
        time.sleep(0.1)
    if approved:
        approve(town, merchant_id)
    return merchant_id, auth


def approve(town: RunningTown, merchant_id: str) -> None:
    """The association vouches for the merchant at the catalog (``MerchantApproved``); vouchers'
    replica knows it when this returns."""
    approve_at_catalog(town["catalog"], town.association_token, merchant_id)
    wait_for_approval(town, merchant_id)


def wait_for_approval(town: RunningTown, merchant_id: str, approved: bool = True) -> None:
    """Until vouchers' merchant replica has the catalog's approval (or its withdrawal)."""
    query = "SELECT 1 FROM voucher_merchants WHERE merchant_id = %s AND coalesce(approved, false) = %s"
    wait_until(
        lambda: rows(town["vouchers"], query, (merchant_id, approved)),
        seconds=30,
        what=f"the approval of {merchant_id} {'' if approved else 'withdrawn '}reaching vouchers' merchant replica",
    )


def merchant_id_of(town: RunningTown, auth: dict[str, str]) -> str:
    response = httpx.get(f"{town['catalog'].api}/merchants/me", headers=auth)
    assert response.status_code == 200, response.text
    return str(response.json()["merchant_id"])


def town_programme(town: RunningTown, **terms: Any) -> str:
    body = {"kind": "town", "name": "Stadtgutschein", "denominations_cents": [1000, 2500, 5000], **terms}
    response = httpx.post(f"{town['vouchers'].api}/programmes", json=body, headers={**association(town), **key()})
    assert response.status_code == 201, response.text
    return str(response.json()["programme_id"])


def join(town: RunningTown, programme_id: str, auth: dict[str, str]) -> None:
    """An approved merchant joins a town programme (joining needs the association's approval:
    this waits until vouchers' replica has it, and fails if it never comes)."""
    vouchers = town["vouchers"]
    wait_for_approval(town, merchant_id_of(town, auth))
    response = until(lambda: httpx.post(f"{vouchers.api}/programmes/{programme_id}/members", json={}, headers=auth))
    assert response.status_code == 200, response.text


def a_client() -> dict[str, str]:
    """A fresh client address, as the town's proxy would report it (heeded where the API
    trusts a proxy hop, ignored where it trusts none): online purchases are counted per client."""
    return {"X-Forwarded-For": f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"}


def a_buyer() -> str:
    """A fresh buyer's address: one mailbox has only a few purchases waiting for payment."""
    return f"kunde-{secrets.token_hex(4)}@example.de"


def buy(town: RunningTown, programme_id: str, *amounts: int, email: str | None = None) -> dict[str, Any]:
    """Vouchers bought online, pending, by ``email`` (a fresh buyer unless given)."""
    body = {
        "email": email or a_buyer(),
        "vouchers": [{"programme_id": programme_id, "amount_cents": a} for a in amounts],
    }
    headers = {**key(), **a_client()}
    response = until(lambda: httpx.post(f"{town['vouchers'].api}/purchases", json=body, headers=headers))
    assert response.status_code == 201, response.text
    return dict(response.json())


def provider_pays(vouchers: ServiceInstance, purchase: dict[str, Any], reference: str | None = None) -> httpx.Response:
    body, headers = provider_callback(vouchers, purchase, reference)
    return httpx.post(f"{vouchers.api}/payments/provider", content=body, headers=headers)


def provider_callback(
    vouchers: ServiceInstance, purchase: dict[str, Any], reference: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the payment provider's signed callback for ``purchase``."""
    from vouchers.adapters.payment_webhook import sign

    body = json.dumps(
        {
            "purchase_id": purchase["purchase_id"],
            "reference": reference or f"pay-{uuid.uuid4().hex[:12]}",
            "amount_cents": purchase["total_cents"],
        }
    ).encode()
    signature = sign(vouchers.env["DOWNTOWN_PAYMENT_WEBHOOK_SECRET"], int(time.time()), body)
    return body, {"Content-Type": "application/json", "Downtown-Signature": signature}


def buyer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def codes_in_pdf(pdf: bytes) -> list[str]:
    """Every QR code on every page, read back as a phone at the counter would. Only QR codes
    are looked for: among all formats the reader once took a run of a page's print for a
    linear barcode (501 codes read off a 500-voucher PDF)."""
    import pypdfium2
    import zxingcpp

    found = []
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    for page in document:
        image = page.render(scale=2).to_pil()
        found += [barcode.text for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
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


READ_MODEL_WAIT = PATIENCE
"""How long a test waits for a read model fed from the store. Usually well under a second; but
the feed reads only below the database server's oldest open transaction id, so under a stress
run any long transaction on the server (another test's batch, a rebuild) holds every feed back
for a while: a 20 s wait was outlasted once on a machine running two test sessions and
stress-ng. Polling, so a passing test waits no longer than it did."""


def wait_for_code(vouchers: ServiceInstance, code: str, seconds: float = READ_MODEL_WAIT) -> dict[str, Any]:
    """The code lookup is a read model fed from the store: it knows a new code a moment later."""
    deadline = time.monotonic() + seconds
    while True:
        response = balance(vouchers, code)
        if response.status_code == 200:
            return dict(response.json())
        assert time.monotonic() < deadline, response.text
        time.sleep(0.1)


# --- more of a town's vouchers, for the integration tests ------------------------------


def rows(vouchers: ServiceInstance, query: str, params: Any = ()) -> list[dict[str, Any]]:
    """Rows of the instance's own database (its read models and event store), for checks."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(vouchers.env["DOWNTOWN_DATABASE_URL"], autocommit=True, row_factory=dict_row) as conn:
        return list(conn.execute(query, params).fetchall())


def event_types(vouchers: ServiceInstance, stream_id: str) -> list[str]:
    """The names of a stream's stored events, in order (``downtown.vouchers.VoucherRedeemed`` -> VoucherRedeemed)."""
    found = rows(vouchers, "SELECT event_type FROM events WHERE stream_id = %s ORDER BY version", (str(stream_id),))
    return [row["event_type"].rsplit(".", 1)[-1] for row in found]


def wait_for_codes(vouchers: ServiceInstance, voucher_ids: list[str], seconds: float = READ_MODEL_WAIT) -> None:
    """The code lookup (fed from the store) knows these vouchers' codes, so they can be redeemed."""
    wanted = {str(voucher_id) for voucher_id in voucher_ids}

    def indexed() -> bool:
        found = rows(
            vouchers,
            "SELECT voucher_id::text AS id FROM voucher_codes WHERE voucher_id::text = ANY(%s)",
            (list(wanted),),
        )
        return {row["id"] for row in found} == wanted

    wait_until(indexed, seconds=seconds, what=f"indexing the codes of {len(wanted)} vouchers")


def codes_of(vouchers: ServiceInstance, purchase_id: str, token: str) -> dict[str, str]:
    """A paid purchase's codes (voucher id -> code), fetched once as the CSV export."""
    import csv

    response = httpx.get(f"{vouchers.api}/purchases/{purchase_id}/codes.csv", headers=buyer(token))
    assert response.status_code == 200, response.text
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    return {line[0]: line[1] for line in lines[1:]}


def paid_vouchers(
    town: RunningTown, programme_id: str, *amounts: int, email: str | None = None
) -> list[tuple[str, str]]:
    """Vouchers bought online, paid by the provider, their codes fetched and indexed: (voucher id, code)."""
    vouchers = town["vouchers"]
    started = buy(town, programme_id, *amounts, email=email)
    paid = provider_pays(vouchers, started["purchase"])
    assert paid.status_code == 200, paid.text
    codes = codes_of(vouchers, started["purchase"]["purchase_id"], started["access_token"])
    ids = [item["voucher_id"] for item in started["purchase"]["items"]]
    wait_for_codes(vouchers, ids)
    return [(voucher_id, codes[voucher_id]) for voucher_id in ids]


def voucher(vouchers: ServiceInstance, auth: dict[str, str], voucher_id: str) -> dict[str, Any]:
    response = httpx.get(f"{vouchers.api}/vouchers/{voucher_id}", headers=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


def reverse(vouchers: ServiceInstance, auth: dict[str, str], voucher_id: str, redemption_id: str) -> httpx.Response:
    return httpx.post(
        f"{vouchers.api}/vouchers/{voucher_id}/redemptions/{redemption_id}/reversal",
        json={"reason": "Tippfehler"},
        headers=auth,
    )


def refund(
    vouchers: ServiceInstance, auth: dict[str, str], voucher_id: str, redemption_id: str, cents: int, **headers: str
) -> httpx.Response:
    return httpx.post(
        f"{vouchers.api}/vouchers/{voucher_id}/refunds",
        json={"redemption_id": redemption_id, "amount_cents": cents, "reason": "Ware zurück"},
        headers={**auth, **(headers or key())},
    )


def campaign(
    town: RunningTown, programme_id: str, *, percent: int, budget: int, cap: int, days: int = 30
) -> dict[str, Any]:
    """A campaign of the association, once the vouchers' sales read model lists it (purchases find it there)."""
    from datetime import UTC, datetime, timedelta

    vouchers = town["vouchers"]
    body = {
        "programme_id": programme_id,
        "name": "Heimat shoppen",
        "bonus_percent": percent,
        "budget_cents": budget,
        "per_buyer_cap_cents": cap,
        "ends_at": (datetime.now(UTC) + timedelta(days=days)).isoformat(),
    }
    response = httpx.post(f"{vouchers.api}/campaigns", json=body, headers={**association(town), **key()})
    assert response.status_code == 201, response.text
    started = dict(response.json())
    query = "SELECT 1 FROM voucher_campaigns WHERE campaign_id = %s"
    wait_until(lambda: rows(vouchers, query, (started["campaign_id"],)), what="the campaign reaching the read model")
    return started


def merchant_programme(town: RunningTown, auth: dict[str, str], *denominations: int) -> str:
    body = {"kind": "merchant", "name": "Hausgutschein", "denominations_cents": list(denominations or (1000, 2500))}
    vouchers = town["vouchers"]
    response = until(lambda: httpx.post(f"{vouchers.api}/programmes", json=body, headers={**auth, **key()}))
    assert response.status_code == 201, response.text
    return str(response.json()["programme_id"])


def sell_at_counter(town: RunningTown, auth: dict[str, str], programme_id: str, *amounts: int) -> httpx.Response:
    body = {
        "email": "kunde@example.de",
        "reference": "Bon 4711",
        "vouchers": [{"programme_id": programme_id, "amount_cents": amount} for amount in amounts],
    }
    vouchers = town["vouchers"]
    return httpx.post(f"{vouchers.api}/counter-sales", json=body, headers={**auth, **key()})


def bulk_issue(town: RunningTown, programme_id: str, cents: int, count: int) -> dict[str, str]:
    """The association's bulk issue of town vouchers, paid by itself: voucher id -> code (the CSV, fetched once)."""
    vouchers = town["vouchers"]
    body = {
        "programme_id": programme_id,
        "amount_cents": cents,
        "count": count,
        "reference": "Gewinnspiel Stadtfest",
        "contact_email": "orga@example.de",
    }
    response = httpx.post(f"{vouchers.api}/bulk-issues", json=body, headers={**association(town), **key()})
    assert response.status_code == 201, response.text
    started = response.json()
    assert started["purchase"]["status"] == "paid" and len(started["purchase"]["items"]) == count
    return codes_of(vouchers, started["purchase"]["purchase_id"], started["access_token"])


def admin(instance: ServiceInstance, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``<service>-admin ARGS`` with the instance's settings, as an operator runs it."""
    command = [str(Path(sys.executable).parent / f"{instance.service}-admin"), *args]
    return subprocess.run(command, env=instance.env, cwd=instance.logs, capture_output=True, text=True, timeout=timeout)


def rebuild(instance: ServiceInstance, projection: str, *flags: str) -> subprocess.Popen[str]:
    """``downtown-projections rebuild`` of one of the instance's projections, started; its
    report (on stderr) is one line per figure however narrow the terminal."""
    command = [str(Path(sys.executable).parent / "downtown-projections"), "rebuild"]
    command += ["--service", instance.service, "--projection", projection, *flags]
    env = {**instance.env, "COLUMNS": "200"}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def authorize(vouchers: ServiceInstance, code: str, cents: int, **headers: str) -> httpx.Response:
    """``POST /authorizations``: whoever holds the code lets a checkout's orders take up to ``cents``."""
    return httpx.post(f"{vouchers.api}/authorizations", json={"code": code, "amount_cents": cents}, headers=headers)
