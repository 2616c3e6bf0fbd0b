# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant sees its own settlements with its own token and nothing else (issue 16).

On the town's running services: a shop takes "12,50" from a town voucher at its counter (typed
as it types a price; what is not one amount is refused and writes nothing), and an order of
its online shop takes 10,00 € of another voucher, whose code was typed only at the checkout
(ordering's ``OrderPlaced`` handed to the vouchers' process manager). With its merchant token
only, it lists its settlements by month and opens the month's statement, as JSON, CSV and
PDF, without a programme's or its own id in the URL: each line names the order by the
reference ordering's mails give it (or the counter), the time in the town's zone, and the
voucher by its masked code. Another merchant's token sees none of it.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pypdfium2

from tests.support.local_stack import RunningTown
from tests.support.order_saga import Saga, order
from tests.support.polling import wait_until
from tests.support.vouchers_client import (
    authorize,
    event_types,
    join,
    key,
    merchant,
    paid_vouchers,
    rows,
    town_programme,
)
from vouchers.domain.codes import parse_code

MINE = "/merchants/me/settlements"


def typed_redemption(town: RunningTown, shop: dict[str, str], code: str, amount: Any) -> httpx.Response:
    return httpx.post(
        f"{town['vouchers'].api}/redemptions", json={"code": code, "amount": amount}, headers={**shop, **key()}
    )


def settlements(town: RunningTown, shop: dict[str, str]) -> list[dict[str, Any]]:
    answer = httpx.get(f"{town['vouchers'].api}{MINE}", headers=shop)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def stored_events(town: RunningTown) -> int:
    return int(rows(town["vouchers"], "SELECT count(*) AS n FROM events")[0]["n"])


async def test_a_merchant_lists_its_settlements_by_month_and_reads_orders_times_and_masked_codes(
    vouchers_town: RunningTown, saga: Saga
) -> None:
    town, vouchers = vouchers_town, vouchers_town["vouchers"]
    name = f"Stadtgutschein Abrechnung {uuid4().hex[:6]}"
    programme_id = town_programme(town, name=name)
    shop_id, shop = merchant(town, name="Feinkost Abrechnung")
    _, rival = merchant(town, name="Feinkost Nebenan")
    join(town, programme_id, shop)
    join(town, programme_id, rival)
    (voucher_id, code), (ordered_voucher_id, ordered_code) = paid_vouchers(town, programme_id, 5_000, 2_500)

    before = stored_events(town)
    for amount, reason in (("12,5,0", "not an amount"), ("-12,50", "negative"), ("12\x0050", "not an amount")):
        refused = typed_redemption(town, shop, code, amount)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert reason in refused.text, refused.text
    assert typed_redemption(town, shop, code, "1" * 31).status_code == 422  # over-long
    assert stored_events(town) == before, "a refused redemption wrote to the event store"

    at_counter = typed_redemption(town, shop, code, "12,50")
    assert at_counter.status_code == 201, at_counter.text
    assert at_counter.json()["amount_cents"] == 1_250
    authorization = authorize(vouchers, ordered_code, 1_000)
    assert authorization.status_code == 201, authorization.text
    placed = order(authorization.json()["authorization_id"], shop_id, 1_000, uuid4())
    await saga.deliver([saga.record(placed, 1)])
    assert [
        event_types(vouchers, voucher).count("VoucherRedeemed") for voucher in (voucher_id, ordered_voucher_id)
    ] == [
        1,
        1,
    ]

    codes = (code, ordered_code)
    month = the_merchant_reads_its_settlement(town, shop, programme_id, name, codes, placed.order_id)
    the_rival_sees_none_of_it(town, rival, programme_id, shop_id, month)


def the_merchant_reads_its_settlement(
    town: RunningTown, shop: dict[str, str], programme_id: str, name: str, codes: tuple[str, str], order_id: UUID
) -> str:
    """The listing, then the month's statement as JSON, CSV and PDF; the month it is in."""
    vouchers = town["vouchers"]

    def listed() -> dict[str, Any] | None:
        found = [row for row in settlements(town, shop) if row["programme_id"] == programme_id]
        return found[0] if found and found[0]["redeemed_cents"] == 2_250 else None

    row = wait_until(listed, seconds=30, what="both redemptions in the merchant's settlements")
    assert row is not None
    assert (row["programme_name"], row["redemptions"], row["owed_cents"]) == (name, 2, 2_250)
    month = row["month"]
    assert (row["period_start"], row["statement"]["pdf_url"]) == (
        f"{month}-01",
        f"{MINE}/{month}/{programme_id}.pdf",
    )

    statement = httpx.get(f"{vouchers.api}{MINE}/{month}.json", headers=shop)
    assert statement.status_code == 200, statement.text
    lines = {line["order_reference"]: line for line in statement.json()["redemptions"]}
    reference = order_id.hex[:8].upper()
    assert set(lines) == {None, reference}
    masked, ordered = (parse_code(code).masked for code in codes)
    assert (lines[None]["masked_code"], lines[reference]["masked_code"]) == (masked, ordered)
    assert (lines[None]["amount_cents"], lines[reference]["amount_cents"]) == (1_250, 1_000)
    at = {ref: datetime.fromisoformat(line["redeemed_at"]) for ref, line in lines.items()}
    assert all(moment.utcoffset() is not None and f"{moment:%Y-%m}" == month for moment in at.values())

    spreadsheet = httpx.get(f"{vouchers.api}{row['statement']['csv_url']}", headers=shop)
    assert spreadsheet.status_code == 200, spreadsheet.text
    cells = list(csv.reader(io.StringIO(spreadsheet.content.decode("utf-8-sig")), delimiter=";"))
    assert [cells[0][3:6], *sorted(line[3:7] for line in cells[1:3])] == [
        ["Eingelöst am", "Gutschein", "Bestellung"],
        *sorted(
            [
                [f"{at[None]:%d.%m.%Y %H:%M:%S}", masked, "an der Kasse", "12,50"],
                [f"{at[reference]:%d.%m.%Y %H:%M:%S}", ordered, reference, "10,00"],
            ]
        ),
    ]
    printed = httpx.get(f"{vouchers.api}{MINE}/{month}.pdf", headers=shop)
    assert printed.status_code == 200, printed.text
    text = "".join(str(page.get_textpage().get_text_range()) for page in pypdfium2.PdfDocument(printed.content))
    assert f"Bestellung {reference}" in text and f"{at[reference]:%d.%m.%Y %H:%M} {ordered}" in text
    assert str(order_id) not in text and all(line["voucher_id"] not in text for line in lines.values())
    return month


def the_rival_sees_none_of_it(
    town: RunningTown, rival: dict[str, str], programme_id: str, shop_id: str, month: str
) -> None:
    """Another merchant's token, whichever URL it tries."""
    vouchers = town["vouchers"]
    listed_for_it = httpx.get(f"{vouchers.api}{MINE}", headers=rival)
    assert listed_for_it.status_code == 200 and all(row["programme_id"] != programme_id for row in listed_for_it.json())
    assert httpx.get(f"{vouchers.api}{MINE}/{month}.json", headers=rival).status_code == 404
    theirs = httpx.get(f"{vouchers.api}{MINE}/{month}/{programme_id}.json", headers=rival)
    assert theirs.status_code == 200 and theirs.json()["redemptions"] == []  # the rival's own, empty
    assert UUID(theirs.json()["merchant_id"]) != UUID(shop_id)
    days = {"start": f"{month}-01", "end": f"{month}-01"}
    association_route = f"{vouchers.api}/settlements/{programme_id}/{shop_id}.json"
    assert httpx.get(association_route, params=days, headers=rival).status_code == 403
    assert httpx.get(f"{vouchers.api}{MINE}", headers={}).status_code == 401
