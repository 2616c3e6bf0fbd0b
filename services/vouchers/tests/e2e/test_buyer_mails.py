# SPDX-License-Identifier: AGPL-3.0-or-later
"""A voucher bought online and paid by bank transfer, as its buyer lives it on the real stack
(catalog and vouchers as separate processes, Kafka, PostgreSQL, a real SMTP server): the
payment instructions arrive by e-mail with the association's IBAN and the purchase's
reference; the association finds the purchase by that reference and records the transfer;
the vouchers arrive by e-mail as a PDF whose QR code is the voucher's code; the buyer
fetches the same PDF again with the purchase's token, and nobody else can."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import httpx
import pytest

from conftest import Databases
from tests.support.local_stack import RunningTown, random_town, start_town
from tests.support.mailbox import Mailbox
from tests.support.polling import wait_until
from tests.support.vouchers_client import (
    association,
    buyer,
    codes_in_pdf,
    join,
    key,
    merchant,
    town_programme,
    until,
    wait_for_code,
)

IBAN = "DE89 3704 0044 0532 0130 00"
HOLDER = "Werbegemeinschaft Testhausen e.V."


@pytest.fixture(scope="module")
def mailing_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[RunningTown]:
    """Catalog and vouchers for a random town whose vouchers mail to ``mailbox`` and whose
    buyers pay by transfer to the association's account."""
    town = random_town()
    vouchers_env = {
        **mailbox.env,
        "DOWNTOWN_MAIL_FROM": f"gutscheine@{town}.example",
        "DOWNTOWN_ASSOCIATION_IBAN": IBAN,
        "DOWNTOWN_ASSOCIATION_BIC": "COBADEFFXXX",
        "DOWNTOWN_ASSOCIATION_ACCOUNT_HOLDER": HOLDER,
    }
    running = start_town(
        town,
        ["catalog", "vouchers"],
        lambda service: databases.create(town, service),
        tmp_path_factory.mktemp("mailing-town"),
        {"vouchers": vouchers_env},
    )
    try:
        yield running
    finally:
        running.stop()


def mail_to(mailbox: Mailbox, address: str, subject: str) -> EmailMessage:
    """The mail to ``address`` with ``subject``, once the worker sent it."""

    def arrived() -> EmailMessage | None:
        return next((m for m in mailbox.to(address) if str(m["Subject"]) == subject), None)

    found = wait_until(arrived, seconds=60, what=f"a mail to {address}: {subject!r}")
    assert found is not None
    return found


def test_bought_online_paid_by_transfer_mailed_as_pdf_and_fetched_again(
    mailing_town: RunningTown, mailbox: Mailbox
) -> None:
    town = mailing_town
    vouchers = town["vouchers"]
    programme_id = town_programme(town)
    _, shop = merchant(town)
    join(town, programme_id, shop)
    email = f"kaeufer-{uuid.uuid4().hex[:12]}@example.org"

    body = {"email": email, "vouchers": [{"programme_id": programme_id, "amount_cents": 2500}]}
    headers = {**key(), "Accept-Language": "en-GB,en;q=0.9,de;q=0.5"}
    started = until(lambda: httpx.post(f"{vouchers.api}/purchases", json=body, headers=headers))
    assert started.status_code == 201, started.text
    purchase, token = started.json()["purchase"], started.json()["access_token"]
    purchase_id, reference = purchase["purchase_id"], purchase["payment_reference"]
    assert purchase["status"] == "pending" and reference.startswith("GS-")

    instructions = mail_to(mailbox, email, f"Your vouchers {reference}: how to pay")  # the Accept-Language's English
    text = instructions.get_content()
    assert f"IBAN: {IBAN}" in text and f"Payment reference: {reference}" in text and HOLDER in text
    assert "Amount: €25.00" in text and instructions["Content-Language"] == "en"
    assert not instructions.is_multipart()

    # The association sees the transfer with its reference on its account and finds the purchase.
    def by_reference() -> list[dict[str, object]]:
        found = httpx.get(f"{vouchers.api}/purchases", params={"reference": reference}, headers=association(town))
        assert found.status_code == 200, found.text
        return list(found.json())

    (matched,) = wait_until(by_reference, what="the purchase found by its reference")
    assert matched["purchase_id"] == purchase_id and matched["total_cents"] == 2500
    assert httpx.get(
        f"{vouchers.api}/purchases", params={"reference": reference}, headers=buyer(token)
    ).status_code in (
        401,
        403,
    )
    paid = httpx.post(
        f"{vouchers.api}/purchases/{purchase_id}/payments",
        json={"method": "bank_transfer", "reference": reference, "amount_cents": 2500},
        headers=association(town),
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"

    delivered = mail_to(mailbox, email, f"Your vouchers {reference}")
    assert "has arrived" in str(delivered.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    (attachment,) = list(delivered.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"Gutscheine-{reference}.pdf"
    (code,) = codes_in_pdf(attachment.get_content())
    assert wait_for_code(vouchers, code)["balance_cents"] == 2500

    url = f"{vouchers.api}/purchases/{purchase_id}/vouchers.pdf"
    for _ in range(2):  # the buyer's own document: as often as they like
        again = httpx.get(url, headers=buyer(token))
        assert again.status_code == 200 and again.headers["content-type"] == "application/pdf"
        assert codes_in_pdf(again.content) == [code]
    for wrong in (buyer("not-the-token-" + "x" * 30), {}):
        refused = httpx.get(url, headers=wrong)
        assert refused.status_code == 401 and code not in refused.text  # as every purchase URL answers a stranger

    page = httpx.get(f"{vouchers.api}/purchases/{purchase_id}", headers=buyer(token)).json()
    assert page["vouchers"][0]["code"].startswith("••••") and code not in str(page)  # the JSON API: masked
    assert [m["Subject"] for m in mailbox.to(email)].count(instructions["Subject"]) == 1  # one mail per event
