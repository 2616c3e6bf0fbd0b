# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the catalog says of a merchant reaches vouchers through Kafka within seconds: a
suspended merchant neither redeems nor sells vouchers until reinstated, one the association
no longer approves acts with no money until approved again, and a merchant token the
association replaced is refused by vouchers too."""

from __future__ import annotations

import time

import httpx

from tests.support.local_stack import RunningTown
from tests.support.polling import wait_until
from tests.support.vouchers_client import (
    association,
    buy,
    key,
    merchant,
    merchant_programme,
    paid_vouchers,
    redeem,
    sell_at_counter,
    town_programme,
    voucher,
)


def test_a_suspended_merchant_neither_redeems_nor_sells_until_reinstated(vouchers_town: RunningTown) -> None:
    vouchers, catalog = vouchers_town["vouchers"], vouchers_town["catalog"]
    town_id = town_programme(vouchers_town, name="Stadtgutschein Standing")
    merchant_id, shop = merchant(vouchers_town, name="Eisdiele Venezia")
    own_id = merchant_programme(vouchers_town, shop, 1_000)
    member = f"{vouchers.api}/programmes/{town_id}/members"
    assert httpx.post(member, json={}, headers=shop).status_code == 200
    ((voucher_id, code),) = paid_vouchers(vouchers_town, town_id, 2_500)
    assert redeem(vouchers, shop, code, 500).status_code == 201

    suspension = f"{catalog.api}/merchants/{merchant_id}/suspension"
    suspended = httpx.post(suspension, json={"reason": "Beschwerden"}, headers=association(vouchers_town))
    assert suspended.status_code == 200, suspended.text
    began = time.monotonic()
    # Joining again (already a member) changes nothing, so it can ask vouchers until it knows.
    wait_until(lambda: httpx.post(member, json={}, headers=shop).status_code == 403, what="vouchers hearing of it")
    print(f"suspension reached vouchers in {time.monotonic() - began:.2f} s")

    refused = redeem(vouchers, shop, code, 500)
    counter = sell_at_counter(vouchers_town, shop, town_id, 1_000)
    online = httpx.post(
        f"{vouchers.api}/purchases",
        json={"email": "fan@example.de", "vouchers": [{"programme_id": own_id, "amount_cents": 1_000}]},
        headers=key(),
    )
    for answer in (refused, counter, online):
        assert answer.status_code == 403 and "suspended" in answer.json()["detail"], answer.text
    assert voucher(vouchers, association(vouchers_town), voucher_id)["balance_cents"] == 2_000

    assert httpx.delete(suspension, headers=association(vouchers_town)).status_code == 200
    began = time.monotonic()
    wait_until(lambda: httpx.post(member, json={}, headers=shop).status_code == 200, what="vouchers hearing of it")
    print(f"reinstatement reached vouchers in {time.monotonic() - began:.2f} s")

    assert redeem(vouchers, shop, code, 500).json()["voucher_balance_cents"] == 1_500
    assert sell_at_counter(vouchers_town, shop, own_id, 1_000).status_code == 201
    assert buy(vouchers_town, own_id, 1_000)["purchase"]["status"] == "pending"


def test_a_replaced_merchant_token_is_refused_by_vouchers_within_seconds(vouchers_town: RunningTown) -> None:
    vouchers, catalog = vouchers_town["vouchers"], vouchers_town["catalog"]
    merchant_id, old = merchant(vouchers_town, name="Fahrrad Schulze")
    assert httpx.get(f"{vouchers.api}/liability", headers=old).status_code == 200

    replaced = httpx.post(f"{catalog.api}/merchants/{merchant_id}/tokens", headers=association(vouchers_town))
    assert replaced.status_code == 201, replaced.text
    new = {"Authorization": f"Bearer {replaced.json()['token']}"}
    began = time.monotonic()
    wait_until(lambda: httpx.get(f"{vouchers.api}/liability", headers=old).status_code == 401, what="the revocation")
    print(f"token revocation reached vouchers in {time.monotonic() - began:.2f} s")

    refused = redeem(vouchers, old, "7KQM-X2PA-5HJN-R8WT-CE3D", 100)
    assert refused.status_code == 401 and "replaced" in refused.json()["detail"]
    assert httpx.get(f"{vouchers.api}/liability", headers=new).status_code == 200
    assert merchant_programme(vouchers_town, new, 2_000)


def test_an_approval_withdrawn_stops_a_merchant_until_it_is_approved_again(vouchers_town: RunningTown) -> None:
    vouchers, catalog = vouchers_town["vouchers"], vouchers_town["catalog"]
    town_id = town_programme(vouchers_town, name="Stadtgutschein Vertrauen")
    merchant_id, shop = merchant(vouchers_town, name="Uhren Lammers")
    member = f"{vouchers.api}/programmes/{town_id}/members"
    assert httpx.post(member, json={}, headers=shop).status_code == 200
    ((voucher_id, code),) = paid_vouchers(vouchers_town, town_id, 2_500)
    assert redeem(vouchers, shop, code, 500).status_code == 201

    approval = f"{catalog.api}/merchants/{merchant_id}/approval"
    withdrawn = httpx.request("DELETE", approval, json={"reason": "Kassenprüfung"}, headers=association(vouchers_town))
    assert withdrawn.status_code == 200, withdrawn.text
    began = time.monotonic()
    wait_until(lambda: httpx.post(member, json={}, headers=shop).status_code == 403, what="vouchers hearing of it")
    print(f"an approval withdrawn reached vouchers in {time.monotonic() - began:.2f} s")

    for answer in (redeem(vouchers, shop, code, 500), sell_at_counter(vouchers_town, shop, town_id, 1_000)):
        assert answer.status_code == 403 and "withdrew its approval" in answer.json()["detail"], answer.text
    assert voucher(vouchers, association(vouchers_town), voucher_id)["balance_cents"] == 2_000

    assert httpx.post(approval, headers=association(vouchers_town)).status_code == 200
    wait_until(lambda: httpx.post(member, json={}, headers=shop).status_code == 200, what="vouchers hearing of it")
    assert redeem(vouchers, shop, code, 500).json()["voucher_balance_cents"] == 1_500
