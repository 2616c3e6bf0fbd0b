# SPDX-License-Identifier: AGPL-3.0-or-later
"""The expiry job on the running town: vouchers sold four years ago (the use cases driven with
an injected clock, on the town's real event store) are past their validity today, and an
unpaid purchase of back then is past its time. ``vouchers-admin run-job expire`` records the
breakage once and lapses the unpaid purchase (which held no campaign bonus: a bonus comes with
the money); a second run changes nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import httpx

from downtown_events.runtime.database import Pool, open_pool
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.runtime.principal import Principal
from tests.support.local_stack import RunningTown, ServiceInstance
from tests.support.polling import wait_until
from tests.support.vouchers_client import (
    admin,
    association,
    event_types,
    join,
    merchant,
    provider_pays,
    redeem,
    rows,
    town_programme,
    voucher,
)
from vouchers.adapters.sealing import AesGcmSeal
from vouchers.app.context import Context
from vouchers.app.programmes import ProgrammeHandlers
from vouchers.app.purchases import PurchaseHandlers
from vouchers.app.redemptions import RedemptionHandlers
from vouchers.domain.commands import ConfirmPayment, RedeemVoucher, RequestedVoucher, StartCampaign, StartPurchase
from vouchers.projections.read_models import (
    PostgresBuyerPurchases,
    PostgresCampaignFinder,
    PostgresCodeIndex,
    PostgresMerchantDirectory,
    PostgresProgrammeDirectory,
)

BACK_THEN = datetime.now(UTC) - timedelta(days=4 * 366)
ASSOCIATION = Principal(role="association")


def handlers_back_then(town: RunningTown, pool: Pool) -> tuple[ProgrammeHandlers, PurchaseHandlers, RedemptionHandlers]:
    """The town's use cases as they ran four years ago: its store and read models, an old clock."""
    secret = town["vouchers"].env["DOWNTOWN_CODE_HASH_KEY"].encode()
    context = Context(PostgresEventStore(pool, service="vouchers"), code_key=secret, clock=lambda: BACK_THEN)
    merchants = PostgresMerchantDirectory(pool)
    purchases = PurchaseHandlers(
        context,
        merchants,
        PostgresCampaignFinder(pool),
        AesGcmSeal(secret, delivery_key=b"delivery-" + secret),
        PostgresBuyerPurchases(pool),
        unpaid_hours=72,
        max_vouchers=20,
        max_bulk=500,
        max_open_unpaid=5,
    )
    return (
        ProgrammeHandlers(context, merchants, PostgresProgrammeDirectory(pool)),
        purchases,
        RedemptionHandlers(context, merchants, PostgresCodeIndex(pool)),
    )


@dataclass(frozen=True)
class SoldBackThen:
    campaign_id: str
    paid_voucher_id: str
    code: str
    unpaid_purchase_id: str


async def sell_back_then(town: RunningTown, programme_id: str, merchant_id: str) -> SoldBackThen:
    """A campaign, a purchase paid and partly spent (10 € of 50 € + 5 € bonus), one never paid."""
    vouchers = town["vouchers"]
    pool = await open_pool(vouchers.env["DOWNTOWN_DATABASE_URL"], max_size=4, name="expiry-test")
    try:
        programmes, purchases, redemptions = handlers_back_then(town, pool)
        ends = BACK_THEN + timedelta(days=30)
        command = StartCampaign(UUID(programme_id), "Sommer damals", 10, 5_000, 1_000, ends, str(uuid4()))
        campaign, _ = await programmes.start_campaign(ASSOCIATION, command)
        await _eventually(vouchers, "SELECT 1 FROM voucher_campaigns WHERE campaign_id = %s", campaign.campaign_id)
        wanted = (RequestedVoucher(UUID(programme_id), 5_000),)
        paid = await purchases.start_purchase(StartPurchase(wanted, buyer_email="paid@example.de"))
        unpaid = await purchases.start_purchase(StartPurchase(wanted, buyer_email="unpaid@example.de"))
        assert [item.bonus_cents for item in (*paid.purchase.items, *unpaid.purchase.items)] == [0, 0]  # none held
        payment = ConfirmPayment(paid.purchase.purchase_id, "provider", "alt-1", 5_000)
        assert (await purchases.confirm_payment(None, payment)).items[0].bonus_cents == 500
        assert paid.access_token is not None
        (code,) = (await purchases.codes_for_buyer(paid.purchase.purchase_id, paid.access_token)).values()
        voucher_id = paid.purchase.items[0].voucher_id
        await _eventually(vouchers, "SELECT 1 FROM voucher_codes WHERE voucher_id = %s", voucher_id)
        spent = RedeemVoucher(code.display, 1_000, uuid4())
        await redemptions.redeem(Principal(role="merchant", subject=UUID(merchant_id)), spent)
    finally:
        await pool.close()
    return SoldBackThen(str(campaign.campaign_id), str(voucher_id), code.display, str(unpaid.purchase.purchase_id))


async def _eventually(vouchers: ServiceInstance, query: str, *params: object) -> None:
    for _ in range(200):
        if await asyncio.to_thread(rows, vouchers, query, params):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never true: {query}")


def test_the_expiry_job_records_breakage_once_and_lapses_unpaid_purchases(vouchers_town: RunningTown) -> None:
    vouchers = vouchers_town["vouchers"]
    programme_id = town_programme(vouchers_town, name="Gutschein 2022")
    merchant_id, shop = merchant(vouchers_town, name="Optik Wessels")
    join(vouchers_town, programme_id, shop)
    sold = asyncio.run(sell_back_then(vouchers_town, programme_id, merchant_id))
    # The job finds its candidates in the read models: wait until they show both.
    ledger = "SELECT 1 FROM voucher_balances WHERE voucher_id = %s AND balance_cents = 4500"
    wait_until(lambda: rows(vouchers, ledger, (sold.paid_voucher_id,)), what="the ledger")
    pending = "SELECT 1 FROM voucher_purchases WHERE purchase_id = %s AND status = 'pending'"
    wait_until(lambda: rows(vouchers, pending, (sold.unpaid_purchase_id,)), what="the sales read model")

    first = admin(vouchers, "run-job", "expire")
    second = admin(vouchers, "run-job", "expire")

    assert first.returncode == 0 and first.stdout.strip() == "expire: 2 done", first.stdout + first.stderr
    assert second.returncode == 0 and second.stdout.strip() == "expire: 0 done", second.stdout + second.stderr
    (expired,) = rows(vouchers, _EXPIRED, (sold.paid_voucher_id,))
    assert expired["data"]["breakage_cents"] == 4_500
    assert (expired["data"]["paid_breakage_cents"], expired["data"]["bonus_breakage_cents"]) == (4_000, 500)
    assert event_types(vouchers, sold.unpaid_purchase_id).count("PurchaseExpiredUnpaid") == 1
    assert event_types(vouchers, sold.campaign_id).count("CampaignBonusReleased") == 0  # it held none
    budget = httpx.get(f"{vouchers.api}/campaigns/{sold.campaign_id}").json()
    assert (budget["reserved_cents"], budget["granted_cents"], budget["remaining_cents"]) == (0, 500, 4_500)

    now = voucher(vouchers, association(vouchers_town), sold.paid_voucher_id)
    assert (now["expired"], now["balance_cents"], now["breakage_cents"]) == (True, 0, 4_500)
    too_late = redeem(vouchers, shop, sold.code, 100)
    assert too_late.status_code == 422 and "valid through" in too_late.json()["detail"]
    late_payment = provider_pays(vouchers, {"purchase_id": sold.unpaid_purchase_id, "total_cents": 5_000})
    assert late_payment.status_code == 422 and "expired unpaid" in late_payment.json()["detail"]
    status = "SELECT status FROM voucher_balances WHERE voucher_id = %s"
    wait_until(lambda: rows(vouchers, status, (sold.paid_voucher_id,)) == [{"status": "expired"}], what="the ledger")


_EXPIRED = "SELECT data FROM events WHERE stream_id = %s AND event_type = 'downtown.vouchers.VoucherExpired'"
