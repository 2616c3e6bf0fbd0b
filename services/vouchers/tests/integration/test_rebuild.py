# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every vouchers projection rebuilt from the log equals the live one and is swapped in:
``merchants`` from the catalog's topic (approvals too), ``code_lookup``, ``code_masks`` and
``buyer_purchases`` from the service's own store (private events), ``ledger`` and ``sales``
(counter cash too) from the vouchers' topic. The live worker then carries on in the
swapped-in tables."""

from __future__ import annotations

import subprocess
from typing import Any

import httpx

from tests.support.local_stack import RunningTown, ServiceInstance
from tests.support.polling import wait_until
from tests.support.vouchers_client import (
    association,
    bulk_issue,
    buy,
    campaign,
    join,
    merchant,
    paid_vouchers,
    rebuild,
    redeem,
    reverse,
    rows,
    sell_at_counter,
    town_programme,
    wait_for_codes,
)

PROJECTIONS = {
    "merchants": ("voucher_merchants",),
    "code_lookup": ("voucher_codes",),
    "code_masks": ("voucher_code_masks",),
    "buyer_purchases": ("voucher_buyer_purchases",),
    "ledger": ("voucher_balances", "voucher_history"),
    "sales": ("voucher_programmes", "voucher_memberships", "voucher_campaigns", "voucher_purchases"),
}


def test_every_projection_rebuilt_from_the_log_equals_the_live_one_and_is_swapped_in(
    vouchers_town: RunningTown,
) -> None:
    vouchers, catalog = vouchers_town["vouchers"], vouchers_town["catalog"]
    programme_id = town_programme(vouchers_town, name="Neuaufbau")
    campaign(vouchers_town, programme_id, percent=20, budget=2_000, cap=1_000)
    merchant_id, shop = merchant(vouchers_town, name="Bäckerei Neuaufbau")
    join(vouchers_town, programme_id, shop)
    (first, _), (second, code) = paid_vouchers(vouchers_town, programme_id, 1_000, 2_500, email="neu@example.de")
    redeemed = redeem(vouchers, shop, code, 700).json()
    assert reverse(vouchers, shop, second, redeemed["redemption_id"]).status_code == 200
    redeem(vouchers, shop, code, 400)
    prizes = bulk_issue(vouchers_town, programme_id, 1_000, 3)
    wait_for_codes(vouchers, list(prizes))
    assert redeem(vouchers, shop, next(iter(prizes.values())), 1_000).status_code == 201
    sold = sell_at_counter(vouchers_town, shop, programme_id, 2_500)
    assert sold.status_code == 201, sold.text
    wait_for_codes(vouchers, [item["voucher_id"] for item in sold.json()["purchase"]["items"]])
    waiting = buy(vouchers_town, programme_id, 1_000, email="wartet@example.de")["purchase"]["purchase_id"]
    known = "SELECT 1 FROM voucher_buyer_purchases WHERE purchase_id = %s AND buyer_ref IS NOT NULL"
    wait_until(lambda: rows(vouchers, known, (waiting,)), what="the buyers' read model")
    cash = "SELECT 1 FROM voucher_purchases WHERE purchase_id = %s AND cash_taken_by IS NOT NULL"
    wait_until(lambda: rows(vouchers, cash, (sold.json()["purchase"]["purchase_id"],)), what="the sales read model")
    listed = "SELECT 1 FROM voucher_purchases WHERE purchase_id = %s"
    wait_until(lambda: rows(vouchers, listed, (waiting,)), what="the sales read model")
    (sold_voucher,) = [item["voucher_id"] for item in sold.json()["purchase"]["items"]]
    wait_until(lambda: _ledger_entries(vouchers, sold_voucher) == 1, what="the ledger")
    suspension = f"{catalog.api}/merchants/{merchant_id}/suspension"
    assert httpx.post(suspension, json={"reason": "Prüfung"}, headers=association(vouchers_town)).status_code == 200
    wait_until(lambda: _ledger_entries(vouchers, second) == 4, what="the ledger")
    suspended = "SELECT 1 FROM voucher_merchants WHERE merchant_id = %s AND suspended"
    wait_until(lambda: rows(vouchers, suspended, (merchant_id,)), what="the merchant replica")
    before = {name: _contents(vouchers, tables) for name, tables in PROJECTIONS.items()}

    reports = _rebuild_all(vouchers)

    for name, report in reports.items():
        assert report.returncode == 0, f"{name}: {report.stderr}"
        assert "checksum match: yes" in report.stderr and "swapped: yes" in report.stderr, f"{name}: {report.stderr}"
        assert _contents(vouchers, PROJECTIONS[name]) == before[name], name
        assert not rows(vouchers, "SELECT 1 FROM pg_tables WHERE tablename LIKE %s", (f"{PROJECTIONS[name][0]}__%",))

    # The live worker writes into the swapped-in tables: a reinstatement, a redemption.
    assert httpx.delete(suspension, headers=association(vouchers_town)).status_code == 200
    wait_until(lambda: not rows(vouchers, suspended, (merchant_id,)), what="the merchant replica after the swap")
    assert redeem(vouchers, shop, code, 100).status_code == 201
    wait_until(lambda: _ledger_entries(vouchers, second) == 5, what="the ledger after the swap")
    balance = rows(vouchers, "SELECT balance_cents FROM voucher_balances WHERE voucher_id = %s", (second,))
    assert balance == [{"balance_cents": 2_500 + 500 - 400 - 100}]
    assert rows(vouchers, "SELECT balance_cents FROM voucher_balances WHERE voucher_id = %s", (first,)) == [
        {"balance_cents": 1_200}
    ]


def _rebuild_all(vouchers: ServiceInstance) -> dict[str, subprocess.CompletedProcess[str]]:
    """The five rebuilds side by side (each its own projection, tables and consumer), as an
    operator could run them; their reports once all are done."""
    running = {name: rebuild(vouchers, name) for name in PROJECTIONS}
    reports = {}
    for name, process in running.items():
        out, err = process.communicate(timeout=120)
        reports[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return reports


def _ledger_entries(vouchers: ServiceInstance, voucher_id: str) -> int:
    return int(rows(vouchers, "SELECT count(*) AS n FROM voucher_history WHERE voucher_id = %s", (voucher_id,))[0]["n"])


def _contents(vouchers: ServiceInstance, tables: tuple[str, ...]) -> dict[str, list[Any]]:
    """Every row of the tables, in key order, as text (what the rebuild's checksums cover)."""
    return {
        table: [row["r"] for row in rows(vouchers, f"SELECT t::text AS r FROM {table} t ORDER BY 1")]
        for table in tables
    }
