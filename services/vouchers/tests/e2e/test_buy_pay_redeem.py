# SPDX-License-Identifier: AGPL-3.0-or-later
"""A town voucher's whole life over HTTP, catalog and vouchers as separate processes: bought,
paid through the provider's signed callback, printed (its QR code read back; printed again),
redeemed in two parts at a member shop, balance zero."""

from __future__ import annotations

import time

import httpx

from tests.support.local_stack import RunningTown, ServiceInstance
from tests.support.vouchers_client import (
    buy,
    buyer,
    codes_in_pdf,
    join,
    merchant,
    provider_pays,
    redeem,
    town_programme,
    wait_for_code,
)


def test_buy_pay_print_redeem_part_check_redeem_rest(catalog_and_vouchers: RunningTown) -> None:
    town = catalog_and_vouchers
    vouchers = town["vouchers"]
    programme_id = town_programme(town)
    _, shop = merchant(town)
    join(town, programme_id, shop)

    started = buy(town, programme_id, 2500)
    purchase, token = started["purchase"], started["access_token"]
    assert purchase["status"] == "pending" and token

    paid = provider_pays(vouchers, purchase)
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"

    pdf = httpx.get(f"{vouchers.api}/purchases/{purchase['purchase_id']}/vouchers.pdf", headers=buyer(token))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    (code,) = codes_in_pdf(pdf.content)
    again = httpx.get(f"{vouchers.api}/purchases/{purchase['purchase_id']}/vouchers.pdf", headers=buyer(token))
    assert again.status_code == 200 and codes_in_pdf(again.content) == [code]  # the buyer's own document, again

    assert wait_for_code(vouchers, code)["balance_cents"] == 2500
    first = redeem(vouchers, shop, code, 1000)
    assert first.status_code == 201, first.text
    assert first.json()["voucher_balance_cents"] == 1500
    assert wait_for_code(vouchers, code)["balance_cents"] == 1500

    rest = redeem(vouchers, shop, code, 1500)
    assert rest.status_code == 201, rest.text
    assert wait_for_code(vouchers, code)["balance_cents"] == 0
    too_much = redeem(vouchers, shop, code, 1)
    assert too_much.status_code == 422 and "balance" in too_much.json()["detail"]

    view = httpx.get(f"{vouchers.api}/purchases/{purchase['purchase_id']}", headers=buyer(token)).json()
    assert view["vouchers"][0]["balance_cents"] == 0 and view["vouchers"][0]["code"].startswith("••••")

    live = wait_for_live_figure(vouchers, "redeemed_cents", 2500)
    assert live["vouchers_sold"][0]["value"] >= 1 and live["sold_cents"][0]["value"] >= 2500


def wait_for_live_figure(vouchers: ServiceInstance, name: str, at_least: int) -> dict[str, list[dict[str, object]]]:
    """The worker's faust tables count as the events stream past (this hour first)."""
    deadline = time.monotonic() + 20
    association = {"Authorization": f"Bearer {vouchers.association_token}"}  # the figures are the association's
    while True:
        page = httpx.get(f"{vouchers.worker}/figures/live", headers=association).json()
        hours = page["figures"][name]
        if hours and int(hours[0]["value"]) >= at_least:
            return dict(page["figures"])
        assert time.monotonic() < deadline, page
        time.sleep(0.2)


def test_live_figures_survive_a_killed_worker_through_their_changelog(catalog_and_vouchers: RunningTown) -> None:
    from tests.support.local_stack import wait_ready

    vouchers = catalog_and_vouchers["vouchers"]
    before = wait_for_live_figure(vouchers, "vouchers_sold", 1)["vouchers_sold"][0]["value"]
    vouchers.kill("vouchers-worker")
    vouchers.launch("vouchers-worker")
    wait_ready(vouchers)
    assert wait_for_live_figure(vouchers, "vouchers_sold", int(before))["vouchers_sold"][0]["value"] == before
