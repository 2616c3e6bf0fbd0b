# SPDX-License-Identifier: AGPL-3.0-or-later
"""A change of operator: the town's whole voucher log exported (``vouchers-admin export-log``)
and imported (``import-log``) into a freshly provisioned instance of another town id that
shares only the code-hash key. Once its worker has published and projected the log, every
balance, the ledger, the sales, the liability report and the code lookup are the same, and
an old code still finds its voucher."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from downtown_events.runtime.kafka import ensure_topics
from tests.support.local_stack import KAFKA, RunningTown, ServiceInstance, random_town, running_service
from tests.support.polling import wait_until
from tests.support.vouchers_client import (
    admin,
    association,
    balance,
    campaign,
    join,
    merchant,
    merchant_programme,
    paid_vouchers,
    redeem,
    refund,
    reverse,
    rows,
    sell_at_counter,
    town_programme,
    voucher,
)

PROJECTED = (
    "voucher_balances",
    "voucher_history",
    "voucher_codes",
    "voucher_code_masks",
    "voucher_programmes",
    "voucher_campaigns",
    "voucher_memberships",
    "voucher_purchases",
)


def fill(town: RunningTown) -> list[tuple[str, str]]:
    """Sales (online with a campaign bonus, at the counter), redemptions, a reversal, a refund."""
    vouchers = town["vouchers"]
    programme_id = town_programme(town, name="Umzugsgutschein")
    campaign(town, programme_id, percent=10, budget=1_500, cap=1_000)
    _, shop = merchant(town, name="Buchhandlung Umzug")
    join(town, programme_id, shop)
    sold = paid_vouchers(town, programme_id, 5_000, 2_500, 1_000, email="umzug@example.de")
    (first, first_code), (second, second_code), _ = sold
    spent = redeem(vouchers, shop, first_code, 1_234).json()
    assert reverse(vouchers, shop, first, spent["redemption_id"]).status_code == 200
    spent = redeem(vouchers, shop, second_code, 2_000).json()
    assert refund(vouchers, shop, second, spent["redemption_id"], 321).status_code == 200
    assert redeem(vouchers, shop, first_code, 99).status_code == 201
    own = merchant_programme(town, shop, 1_000)
    counter = sell_at_counter(town, shop, own, 1_000)
    assert counter.status_code == 201, counter.text
    return sold


def test_an_exported_log_imported_elsewhere_gives_the_same_balances_and_codes(
    vouchers_town: RunningTown, databases: Any, tmp_path: Path
) -> None:
    old = vouchers_town["vouchers"]
    sold = fill(vouchers_town)
    wait_until(lambda: _quiet(old), what="the old instance publishing and projecting everything")
    log = tmp_path / "vouchers.log"

    exported = admin(old, "export-log", str(log))
    assert exported.returncode == 0 and "exported" in exported.stdout, exported.stderr
    new_town = random_town("n")
    asyncio.run(ensure_topics(KAFKA, new_town, "catalog", partitions=3))  # the new town's catalog moves too, later
    shared = {"DOWNTOWN_CODE_HASH_KEY": old.env["DOWNTOWN_CODE_HASH_KEY"]}
    with running_service("vouchers", new_town, databases.create(new_town, "vouchers"), tmp_path, shared) as new:
        imported = admin(new, "import-log", str(log))
        assert imported.returncode == 0, imported.stderr
        events = rows(old, "SELECT count(*) AS n FROM events")[0]["n"]
        assert f"imported {events} events (from {vouchers_town.town})" in imported.stdout
        wait_until(lambda: _consumed(new), seconds=30, what="the new worker publishing and reading the whole log")
        wait_until(lambda: _same(old, new), seconds=5, what="the new instance's read models matching the old ones")

        for table in PROJECTED:
            assert _contents(old, table) == _contents(new, table), table
        assert _liability(old, vouchers_town.association_token) == _liability(new, new.association_token)
        for voucher_id, code in sold:
            before = voucher(old, association(vouchers_town), voucher_id)
            after = voucher(new, {"Authorization": f"Bearer {new.association_token}"}, voucher_id)
            assert after == before
            found = balance(new, code)
            assert found.status_code == 200 and found.json()["voucher_id"] == voucher_id
            assert found.json()["balance_cents"] == before["balance_cents"]


def _quiet(instance: ServiceInstance) -> bool:
    """Everything stored is published, and the store feed (private events) is at the end."""
    return not rows(instance, "SELECT 1 FROM outbox LIMIT 1")


def _consumed(instance: ServiceInstance) -> bool:
    """The outbox is empty and both topic projections have read every published event."""
    published = rows(instance, "SELECT count(*) AS n FROM events WHERE published_version IS NOT NULL")[0]["n"]
    offsets = rows(
        instance,
        "SELECT consumer, sum(next_offset) AS n FROM tracking_offsets WHERE topic = %s GROUP BY consumer",
        (f"{instance.town}.vouchers.events",),
    )
    read = {row["consumer"]: row["n"] for row in offsets}
    return _quiet(instance) and read.get("projection:ledger") == read.get("projection:sales") == published


def _same(old: ServiceInstance, new: ServiceInstance) -> bool:
    return all(_contents(old, table) == _contents(new, table) for table in PROJECTED)


def _contents(instance: ServiceInstance, table: str) -> list[str]:
    return [row["r"] for row in rows(instance, f"SELECT t::text AS r FROM {table} t ORDER BY 1")]


def _liability(instance: ServiceInstance, token: str) -> list[dict[str, Any]]:
    """The liability report, without the merchants' names: those come from the catalog's
    topic, which the new town's catalog has not filled yet."""
    response = httpx.get(f"{instance.api}/liability", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    report = [{k: v for k, v in row.items() if k != "merchant_name"} for row in response.json()]
    assert all(isinstance(row["outstanding_cents"], int) for row in report), report  # cents, not "1000"
    return sorted(report, key=lambda row: (row["programme_id"], row["merchant_id"] or ""))
