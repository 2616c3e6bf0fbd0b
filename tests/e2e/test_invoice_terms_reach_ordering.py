# SPDX-License-Identifier: AGPL-3.0-or-later
"""What ordering's invoices and checkout need of the catalog travels to ordering's replica:
a merchant's bank account and the kind of its tax number, an offer's VAT rate, and whether a
service is a video consultation. HTTP into the catalog, Kafka across, ordering's replica out,
on the session's ordering town (real processes, broker and databases)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID, uuid4

import httpx
from photo_samples import sample_photo

from downtown_events.runtime.database import open_pool
from ordering.domain.facts import MerchantFacts, OfferFacts
from ordering.projections.read_models import PostgresCatalogReplica
from tests.support.catalog_client import REGISTRATION
from tests.support.local_stack import RunningTown
from tests.support.polling import wait_until

IBAN = "DE89370400440532013000"


def _registered(town: RunningTown) -> tuple[str, dict[str, str]]:
    body = {
        **REGISTRATION,
        "name": f"Buchhandlung am Markt {uuid4().hex[:6]}",
        "category": "Bücher",
        "tax_number": "de 123 456 789",
        "bank_account": {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "account_holder": "A. Wessels"},
        "video_consultation_url": "https://meet.example/buchhandlung",
    }
    response = httpx.post(f"{town['catalog'].api}/merchants", json=body, timeout=30)
    assert response.status_code == 201, response.text
    merchant = response.json()["merchant"]
    assert merchant["profile"]["tax_number_kind"] == "ust_idnr"
    assert merchant["iban_grouped"] == "DE89 3704 0044 0532 0130 00"
    return merchant["merchant_id"], {"Authorization": f"Bearer {response.json()['token']}"}


def _listed(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _facts(town: RunningTown, offer_ids: list[str], merchant_id: str) -> Any:
    async def read() -> tuple[dict[UUID, OfferFacts], dict[UUID, MerchantFacts]]:
        pool = await open_pool(town["ordering"].env["DOWNTOWN_DATABASE_URL"], max_size=1, name="test")
        try:
            replica = PostgresCatalogReplica(pool, vat_by_category={})
            return await replica.facts([UUID(offer_id) for offer_id in offer_ids], [UUID(merchant_id)])
        finally:
            await pool.close()

    return asyncio.run(read())


def test_bank_details_vat_rate_and_video_consultation_reach_orderings_replica(ordering_town: RunningTown) -> None:
    catalog = ordering_town["catalog"].api
    merchant_id, auth = _registered(ordering_town)
    book = _listed(
        httpx.post(
            f"{catalog}/offers/products",
            headers=auth,
            files={"photo": ("stechlin.jpg", sample_photo("jpeg", text="Stechlin"), "image/jpeg")},
            data={"price": "14,90", "title": "Der Stechlin", "vat_percent": "7"},
            timeout=30,
        )
    )
    consultation = _listed(
        httpx.post(
            f"{catalog}/offers/services",
            headers=auth,
            json={
                "title": "Lesetipps per Video",
                "price": "15",
                "duration_minutes": 30,
                "weekly_availability": [{"weekday": 2, "opens": "14:00", "closes": "18:00"}],
                "held": "video",
            },
            timeout=30,
        )
    )
    assert (book["vat_percent"], book["held"]) == (7, "in_person")
    assert (consultation["kind"], consultation["held"], consultation["vat_percent"]) == ("service", "video", 19)

    ids = [book["offer_id"], consultation["offer_id"]]

    def replicated() -> Any:
        offers, merchants = _facts(ordering_town, ids, merchant_id)
        return (offers, merchants) if len(offers) == 2 and merchants else None

    offers, merchants = wait_until(replicated, what="ordering's replica to hold the merchant and both offers")
    book_facts, consultation_facts = offers[UUID(ids[0])], offers[UUID(ids[1])]
    assert (book_facts.vat_percent, book_facts.video_consultation) == (7, False)
    assert (consultation_facts.vat_percent, consultation_facts.video_consultation) == (19, True)
    merchant = merchants[UUID(merchant_id)]
    assert (merchant.tax_number, merchant.tax_number_kind) == ("DE123456789", "ust_idnr")
    assert (merchant.iban, merchant.bic, merchant.account_holder) == (IBAN, "COBADEFFXXX", "A. Wessels")
    assert merchant.vat_percent(book_facts) == 7
