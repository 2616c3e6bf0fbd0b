# SPDX-License-Identifier: AGPL-3.0-or-later
"""Only merchants the town's association approved act with money, end to end: catalog and
vouchers as separate processes, the approval travelling as the catalog's event through Kafka.

The attack this keeps found (issue 14): a merchant registered a minute earlier sold itself town
vouchers at its counter (paid at once, with the campaign's 20 % bonus), joined the town
programme by itself, redeemed the codes it made, and the association's settlement then owed
it 240 € taken from the campaign's budget; the same token could mark any pending online
purchase paid in cash. Here a fresh merchant can do none of that and writes nothing; once the
association approves it, it sells at its counter (no bonus on cash), joins and redeems, and
the settlement nets the cash it took against what the town owes it, in the JSON statement and
in the CSV and PDF the association pays from.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pypdfium2

from tests.support.local_stack import RunningTown, ServiceInstance
from tests.support.polling import wait_until
from tests.support.vouchers_client import (
    approve,
    association,
    buy,
    campaign,
    codes_of,
    key,
    merchant,
    paid_vouchers,
    redeem,
    rows,
    sell_at_counter,
    town_programme,
    wait_for_codes,
)

PROBLEM = "application/problem+json"


def stored_events(vouchers: ServiceInstance) -> int:
    return int(rows(vouchers, "SELECT count(*) AS n FROM events")[0]["n"])


@contextlib.contextmanager
def nothing_written(vouchers: ServiceInstance) -> Iterator[None]:
    before = stored_events(vouchers)
    yield
    assert stored_events(vouchers) == before, "a refused request wrote to the event store"


def refused(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM
    for word in words:
        assert word in response.json()["detail"], response.json()


def settlement_row(town: RunningTown, programme_id: str, merchant_id: str, day: str) -> dict[str, Any] | None:
    answer = httpx.get(
        f"{town['vouchers'].api}/settlements", params={"start": day, "end": day}, headers=association(town)
    )
    assert answer.status_code == 200, answer.text
    found = [row for row in answer.json() if row["programme_id"] == programme_id and row["merchant_id"] == merchant_id]
    return found[0] if found else None


def csv_blocks(document: bytes) -> list[list[list[str]]]:
    """The settlement CSV's blocks (redemptions, counter sales, totals), split at blank rows."""
    blocks: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(document.decode("utf-8-sig"), newline=""), delimiter=";"):
        if row:
            blocks[-1].append(row)
        else:
            blocks.append([])
    return blocks


def german_cents(amount: str) -> int:
    """``-100,00`` as the CSV writes it, in cents."""
    return int(amount.replace(",", ""))


def test_a_fresh_merchant_acts_with_no_money_until_approved_and_its_counter_cash_is_netted(
    catalog_and_vouchers: RunningTown,
) -> None:
    town = catalog_and_vouchers
    vouchers = town["vouchers"]
    programme_id = town_programme(town, name="Stadtgutschein Vertrauenssache", denominations_cents=[2_500, 10_000])
    campaign(town, programme_id, percent=20, budget=100_000, cap=10_000)
    merchant_id, shop = merchant(town, name="Schnell & Reich", approved=False)
    ((_, someone_elses_code),) = paid_vouchers(town, programme_id, 2_500, email="stammkundin@example.de")
    pending = buy(town, programme_id, 10_000, email="online@example.de")["purchase"]
    cash = {"method": "cash", "reference": "Kasse 1", "amount_cents": 10_000}
    members = f"{vouchers.api}/programmes/{programme_id}/members"
    own_programme = {"kind": "merchant", "name": "Schnell & Reich Gutschein", "denominations_cents": [1_000]}

    with nothing_written(vouchers):
        counter = sell_at_counter(town, shop, programme_id, 10_000, 10_000)
        took_cash = httpx.post(f"{vouchers.api}/purchases/{pending['purchase_id']}/payments", json=cash, headers=shop)
        joined = httpx.post(members, json={}, headers=shop)
        joined_for_it = httpx.post(members, json={"merchant_id": merchant_id}, headers=association(town))
        opened = httpx.post(f"{vouchers.api}/programmes", json=own_programme, headers={**shop, **key()})
        redeemed = redeem(vouchers, shop, someone_elses_code, 500)

    for answer in (counter, took_cash, joined, joined_for_it, opened, redeemed):
        refused(answer, 403, "has not approved Schnell & Reich")

    approve(town, merchant_id)  # the association vouches for it; vouchers hears of it through Kafka

    assert httpx.post(members, json={}, headers=shop).status_code == 200
    sold = sell_at_counter(town, shop, programme_id, 10_000)
    assert sold.status_code == 201, sold.text
    purchase = sold.json()["purchase"]
    assert (purchase["status"], purchase["total_cents"], purchase["bonus_cents"]) == ("paid", 10_000, 0)  # cash
    codes = codes_of(vouchers, purchase["purchase_id"], sold.json()["access_token"])
    wait_for_codes(vouchers, list(codes))
    (own_code,) = codes.values()
    # Approved or not, town vouchers bought online are paid to the association, not at a till.
    refused(
        httpx.post(f"{vouchers.api}/purchases/{pending['purchase_id']}/payments", json=cash, headers=shop),
        403,
        "own counter sales and its own vouchers only",
    )
    assert redeem(vouchers, shop, own_code, 10_000).status_code == 201
    assert redeem(vouchers, shop, someone_elses_code, 2_500).status_code == 201

    today = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
    expected = {"redeemed_cents": 12_500, "counter_cash_cents": 10_000, "counter_sales": 1, "owed_cents": 2_500}

    def netted() -> dict[str, Any] | None:
        found = settlement_row(town, programme_id, merchant_id, today)
        return found if found and all(found[name] == value for name, value in expected.items()) else None

    row = wait_until(netted, seconds=30, what="the settlement netting the counter cash")
    assert (row["reversed_cents"], row["redemptions"]) == (0, 2)
    statement = httpx.get(
        f"{vouchers.api}/settlements/{programme_id}/{merchant_id}.json",
        params={"start": today, "end": today},
        headers=shop,
    )
    assert statement.status_code == 200, statement.text
    body = statement.json()
    assert (body["redeemed_cents"], body["counter_cash_cents"], body["owed_cents"]) == (12_500, 10_000, 2_500)
    assert [(sale["purchase_id"], sale["cash_cents"]) for sale in body["counter_sales"]] == [
        (purchase["purchase_id"], 10_000)
    ]

    # The documents the association pays from net the same cash to the same amount.
    document = f"{vouchers.api}/settlements/{programme_id}/{merchant_id}"
    spreadsheet = httpx.get(f"{document}.csv", params={"start": today, "end": today}, headers=shop)
    assert spreadsheet.status_code == 200, spreadsheet.text
    redemptions, sales, totals = csv_blocks(spreadsheet.content)
    assert len(redemptions) == 1 + len(body["redemptions"])
    assert [(row[4], german_cents(row[6])) for row in sales[2:]] == [
        (sale["purchase_reference"], sale["cash_cents"]) for sale in body["counter_sales"]
    ]
    summed = {label: german_cents(amount) for label, amount in totals}
    assert summed["Bareinnahmen"] == -body["counter_cash_cents"]
    assert summed["Saldo"] == summed["Auszahlung an den Händler"] == body["owed_cents"]
    printed = httpx.get(f"{document}.pdf", params={"start": today, "end": today}, headers=association(town))
    assert printed.status_code == 200, printed.text
    text = "".join(str(page.get_textpage().get_text_range()) for page in pypdfium2.PdfDocument(printed.content))
    assert body["counter_sales"][0]["purchase_reference"] in text and "-100,00 €" in text
    assert "Auszahlung an Schnell & Reich: 25,00 €" in text
