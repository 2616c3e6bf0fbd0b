# SPDX-License-Identifier: AGPL-3.0-or-later
"""Voucher redemptions per second, on one hot voucher and across many, against plain balance UPDATEs.

A scratch database gets the vouchers' migrations and read-model tables; a town programme,
one member merchant and the vouchers are made with the service's own use cases
(``ProgrammeHandlers``, ``PurchaseHandlers`` buying and paying), so every voucher has the streams
the service writes. Then ``CONCURRENCY`` redeemers at once, in one event loop:

- **ours**: :meth:`RedemptionHandlers.redeem` over a :class:`PostgresEventStore`, wired by
  ``vouchers.bootstrap.build_handlers`` as the API's are, with the **real read models** it
  consults: the merchant replica
  (``voucher_merchants``, a row written with the projection's own writer) and the code
  lookup (``voucher_codes``, filled from each voucher's private ``VoucherCodeAssigned``
  event, as the ``code_lookup`` projection does). So one redemption is: the merchant's
  row, the code's row, the voucher's stream, the claim of its request key, the membership's
  stream, the voucher's stream again, and the append (event + outbox) — and, on a conflict,
  the stream again;
- **plain**: ``UPDATE balances SET cents = cents - x WHERE id = … AND cents >= x``, one
  autocommitted statement per redemption, on the same server with the same pool size.

Two workloads: **one hot voucher** (every redeemer on the same voucher, which has the balance
for all of them; each round takes a fresh one, so its stream grows to ``--hot-redemptions``
events) and **many vouchers** (``--vouchers`` of them, each redemption on one drawn at
random). Only successful redemptions (and UPDATEs that changed a row) count. Rounds
alternate ours and plain, so drift on a busy machine hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import vouchers
from bench.report import Figure, Target, rate, say
from bench.scratch import random_town, scratch_database
from downtown_events.runtime.database import Pool, migrate, open_pool
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.runtime.principal import Principal
from downtown_events.runtime.projection import ProjectionWriter, RowSet
from downtown_events.runtime.store import ConcurrencyConflict
from downtown_events.vouchers import AmountRange, ProgrammeTerms
from vouchers.app.programmes import ProgrammeHandlers
from vouchers.app.purchases import PurchaseHandlers
from vouchers.app.redemptions import RedemptionHandlers
from vouchers.bootstrap import build_handlers
from vouchers.domain.commands import (
    ConfirmPayment,
    JoinProgramme,
    OpenProgramme,
    RedeemVoucher,
    RequestedVoucher,
    StartPurchase,
)
from vouchers.domain.errors import DomainError
from vouchers.domain.private_events import VoucherCodeAssigned
from vouchers.projections import PROJECTIONS
from vouchers.projections.code_lookup import CODES, CodeLookup
from vouchers.projections.merchants import MERCHANT_REPLICA, MERCHANTS
from vouchers.settings import VouchersSettings

BENCHMARK = "redemptions"
CONCURRENCY = 16
ROUNDS = 3
AMOUNT_CENTS = 100  # each redemption takes 1,00 €
VOUCHER_CENTS = 5_000  # a voucher of the many: 50,00 €, room for 50 redemptions
WARM_UP = 50
PURCHASE_SIZE = 500  # vouchers per purchase (the most the service's settings allow)
MIGRATIONS = Path(vouchers.__file__).parent / "migrations"
ASSOCIATION = Principal(role="association")

_BALANCES = "CREATE TABLE balances (id bigint PRIMARY KEY, cents bigint NOT NULL)"
_UPDATE = "UPDATE balances SET cents = cents - %s WHERE id = %s AND cents >= %s"


@dataclass
class Timing:
    seconds: float = 0.0
    succeeded: int = 0
    failed: int = 0
    by_round: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return rate(self.succeeded, self.seconds)


Attempt = Callable[[int], Awaitable[bool]]  # the n-th attempt: did it redeem?


async def _race(attempt: Attempt, attempts: int) -> tuple[float, int]:
    """``attempts`` calls of ``attempt``, ``CONCURRENCY`` at a time: (seconds, successes)."""
    counter = iter(range(attempts))
    successes = 0

    async def redeemer() -> None:
        nonlocal successes
        for number in counter:  # shared: each attempt is taken by one redeemer
            redeemed = await attempt(number)  # (not `successes += await …`: that loses updates)
            successes += redeemed

    started = time.perf_counter()
    await asyncio.gather(*(redeemer() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started, successes


# --- the vouchers service, wired as in vouchers.bootstrap.build_handlers -------------------


@dataclass
class Town:
    pool: Pool
    store: PostgresEventStore
    programmes: ProgrammeHandlers
    purchases: PurchaseHandlers
    redemptions: RedemptionHandlers
    programme_id: UUID
    merchant: Principal


async def _town(pool: Pool, database_url: str) -> Town:
    """The handlers exactly as the API wires them (``build_handlers``), a member merchant."""
    settings = VouchersSettings(
        town=random_town(),
        database_url=database_url,
        code_hash_key=uuid.uuid4().hex,
        max_vouchers_per_purchase=PURCHASE_SIZE,
    )
    handlers = build_handlers(pool, settings)
    store = handlers.context.store
    assert isinstance(store, PostgresEventStore)
    programmes, purchases, redemptions = handlers.programmes, handlers.purchases, handlers.redemptions
    async with pool.connection() as conn:
        for projection in PROJECTIONS:
            await ProjectionWriter(projection).create_tables(conn)
        merchant_id = uuid.uuid4()
        rows = RowSet()
        rows.put(
            MERCHANTS,
            {
                "merchant_id": merchant_id,
                "name": "Buchhandlung am Markt",
                "closed": False,
                "suspended": False,
                "approved": True,  # only a merchant the association approved redeems
            },
        )
        await ProjectionWriter(MERCHANT_REPLICA).write(conn, rows)
    terms = ProgrammeTerms(name="Bench Stadtgutschein", free_amount=AmountRange(min_cents=100, max_cents=10_000_000))
    programme, _ = await programmes.open_programme(ASSOCIATION, OpenProgramme("town", terms, None, "bench-programme"))
    await programmes.join(ASSOCIATION, JoinProgramme(programme.programme_id, merchant_id))
    merchant = Principal("merchant", merchant_id)
    return Town(pool, store, programmes, purchases, redemptions, programme.programme_id, merchant)


async def _issue(town: Town, count: int, cents: int) -> list[str]:
    """``count`` town vouchers of ``cents`` each, bought online and paid by the provider (in
    purchases of up to ``PURCHASE_SIZE``), their codes known to the code lookup: the codes.

    (Not the association's bulk issue: ``PurchaseHandlers.bulk_issue`` fails for any count
    today, zipping the voucher ids with the empty list of requested vouchers.)"""
    codes: list[str] = []
    for start in range(0, count, PURCHASE_SIZE):
        wanted = tuple(RequestedVoucher(town.programme_id, cents) for _ in range(min(PURCHASE_SIZE, count - start)))
        started = await town.purchases.start_purchase(StartPurchase(wanted, buyer_email="bench@example.de"))
        assert started.access_token is not None
        purchase = started.purchase
        paid = ConfirmPayment(purchase.purchase_id, "provider", f"bench-{purchase.purchase_id}", purchase.total_cents)
        await town.purchases.confirm_payment(None, paid)
        issued = await town.purchases.codes_for_buyer(purchase.purchase_id, started.access_token)
        rows = RowSet()
        for voucher_id, code in issued.items():
            for stored in await town.store.read(str(voucher_id)):
                if isinstance(stored.event, VoucherCodeAssigned):
                    rows.put(CODES, {"code_hash": stored.event.code_hash, "voucher_id": voucher_id})
            codes.append(code.display)
        async with town.pool.connection() as conn:
            await ProjectionWriter(CodeLookup()).write(conn, rows)
    return codes


def _ours(town: Town, codes: Sequence[str], rng: random.Random) -> tuple[Attempt, Timing]:
    timing = Timing()

    async def attempt(number: int) -> bool:
        command = RedeemVoucher(rng.choice(codes), AMOUNT_CENTS, uuid.uuid4())
        try:
            await town.redemptions.redeem(town.merchant, command)
        except (DomainError, ConcurrencyConflict):
            timing.failed += 1
            return False
        return True

    return attempt, timing


def _plain(pool: Pool, ids: Sequence[int], rng: random.Random) -> tuple[Attempt, Timing]:
    timing = Timing()

    async def attempt(number: int) -> bool:
        async with pool.connection() as conn:
            cursor = await conn.execute(_UPDATE, (AMOUNT_CENTS, rng.choice(ids), AMOUNT_CENTS), prepare=True)
        if cursor.rowcount != 1:
            timing.failed += 1
            return False
        return True

    return attempt, timing


async def _balances(pool: Pool, first_id: int, count: int, cents: int) -> list[int]:
    ids = list(range(first_id, first_id + count))
    async with pool.connection() as conn, conn.cursor() as cursor:
        await cursor.executemany("INSERT INTO balances (id, cents) VALUES (%s, %s)", [(i, cents) for i in ids])
    return ids


async def _measure(database_url: str, options: argparse.Namespace) -> dict[str, dict[str, Timing]]:
    rng = random.Random(11)
    pool = await open_pool(database_url, max_size=CONCURRENCY, name="bench-redemptions")
    try:
        async with pool.connection() as conn:
            await conn.execute(_BALANCES)
        town = await _town(pool, database_url)
        say(f"redemptions: issuing {options.vouchers:,} vouchers of {VOUCHER_CENTS // 100} € and the warm-up's")
        many_codes = await _issue(town, options.vouchers, VOUCHER_CENTS)
        many_ids = await _balances(pool, 1, options.vouchers, VOUCHER_CENTS)
        warm_codes = await _issue(town, CONCURRENCY, VOUCHER_CENTS)
        warm_ids = await _balances(pool, 10_000_000, CONCURRENCY, VOUCHER_CENTS)
        for attempt, _ in (_ours(town, warm_codes, rng), _plain(pool, warm_ids, rng)):
            await _race(attempt, WARM_UP)  # connections, prepared statements, caches
        hot_cents = options.hot_redemptions * AMOUNT_CENTS
        results: dict[str, dict[str, Timing]] = {"hot": {}, "many": {}}
        for workload in ("hot", "many"):
            timings = {"ours": Timing(), "plain": Timing()}
            results[workload] = timings
            attempts = options.hot_redemptions if workload == "hot" else options.redemptions
            for index in range(ROUNDS):
                if workload == "hot":  # a fresh hot voucher (and row) each round, with room for every attempt
                    codes = await _issue(town, 1, hot_cents)
                    ids = await _balances(pool, 20_000_000 + index, 1, hot_cents)
                else:
                    codes, ids = many_codes, many_ids
                runs = {"ours": _ours(town, codes, rng), "plain": _plain(pool, ids, rng)}
                order = ["ours", "plain"] if index % 2 == 0 else ["plain", "ours"]
                for name in order:
                    attempt, failures = runs[name]
                    seconds, succeeded = await _race(attempt, attempts)
                    timing = timings[name]
                    timing.seconds += seconds
                    timing.succeeded += succeeded
                    timing.failed += failures.failed
                    timing.by_round.append(seconds)
                    say(
                        f"  {workload}, round {index + 1}/{ROUNDS}: {name:<5} {rate(succeeded, seconds):>8,.0f}/s "
                        f"({succeeded:,} of {attempts:,} redeemed, {CONCURRENCY} at once)"
                    )
        return results
    finally:
        await pool.close()


def run(options: argparse.Namespace) -> list[Figure]:
    with scratch_database() as database_url:
        migrate(database_url, MIGRATIONS)
        results = asyncio.run(_measure(database_url, options))
    hot, many = results["hot"], results["many"]
    for workload, timings in results.items():
        for name, timing in timings.items():
            if timing.failed:
                say(f"  {workload} {name}: {timing.failed:,} attempts did not redeem (not counted)")
    at_once = f"{CONCURRENCY} at once"
    return [
        Figure(
            BENCHMARK,
            f"ours, one hot voucher ({options.hot_redemptions:,} per voucher), {at_once}",
            hot["ours"].rate,
            "events/s",
        ),
        Figure(BENCHMARK, f"plain UPDATE, one hot row, {at_once}", hot["plain"].rate, "rows/s"),
        Figure(BENCHMARK, "ours / plain, one hot voucher", hot["ours"].rate / hot["plain"].rate, "ratio"),
        Figure(BENCHMARK, f"ours, {options.vouchers:,} vouchers, {at_once}", many["ours"].rate, "events/s"),
        Figure(BENCHMARK, f"plain UPDATE, {options.vouchers:,} rows, {at_once}", many["plain"].rate, "rows/s"),
        Figure(BENCHMARK, "ours / plain, many vouchers", many["ours"].rate / many["plain"].rate, "ratio", Target(0.5)),
    ]
