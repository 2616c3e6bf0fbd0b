# SPDX-License-Identifier: Apache-2.0
"""The command loop: deciding on a stream the caller just read, and hot streams taking turns."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from downtown_events.catalog import OfferListed, OfferPriceChanged
from downtown_events.runtime.commands import StreamLocks, execute
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.store import ConcurrencyConflict


class CountingStore(InMemoryEventStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def read(self, stream_id: str):  # type: ignore[no-untyped-def]
        self.reads += 1
        return await super().read(stream_id)


def listed() -> OfferListed:
    return OfferListed(offer_id=uuid4(), merchant_id=uuid4(), kind="product", title="Tee", price_cents=100)


def repriced(offer: OfferListed, cents: int) -> OfferPriceChanged:
    return OfferPriceChanged(
        offer_id=offer.offer_id, merchant_id=offer.merchant_id, price_cents=cents, previous_price_cents=100
    )


async def test_a_decision_on_the_stream_just_read_reads_it_no_more_and_a_stale_one_is_read_again() -> None:
    store = CountingStore()
    offer = listed()
    stream = str(offer.offer_id)
    await store.append(stream, 0, [offer])
    history = await store.read(stream)
    store.reads = 0

    await execute(store, stream, len, lambda _: [repriced(offer, 200)], history=history)
    assert store.reads == 0

    version = await execute(store, stream, len, lambda _: [repriced(offer, 300)], history=history)  # stale now
    assert store.reads == 1 and version == 3


async def test_writers_of_one_stream_take_turns_and_the_lock_is_forgotten_after() -> None:
    locks = StreamLocks()
    inside: list[int] = []
    waited: list[bool] = []

    async def write(number: int) -> None:
        async with locks.held("voucher-1") as was_waiting:
            waited.append(was_waiting)
            inside.append(number)
            await asyncio.sleep(0.01)
            assert inside[-1] == number  # nobody else came in meanwhile

    await asyncio.gather(*(write(n) for n in range(5)))
    assert sorted(inside) == list(range(5)) and waited.count(False) == 1
    assert not locks._locks and not locks._waiting


class InterleavingStore(InMemoryEventStore):
    """Lets other writers run between a read and the append that follows it, as a busy
    database does: each read yields to the event loop a number of times the test draws."""

    def __init__(self, pauses: list[int]) -> None:
        super().__init__()
        self._pauses = iter(pauses)

    async def read(self, stream_id: str):  # type: ignore[no-untyped-def]
        history = await super().read(stream_id)
        for _ in range(next(self._pauses, 0)):
            await asyncio.sleep(0)
        return history


@settings(max_examples=200, deadline=None)
@given(writers=st.integers(2, 8), pauses=st.lists(st.integers(0, 3), max_size=80))
def test_a_decision_made_on_version_n_is_appended_at_n_or_not_at_all(writers: int, pauses: list[int]) -> None:
    """Whatever the interleaving, every event a decision appends sits right after the version
    that decision read: no writer ever appends on top of a version it did not decide on."""

    async def run() -> None:
        store = InterleavingStore(pauses)
        offer = listed()
        stream = str(offer.offer_id)
        await store.append(stream, 0, [offer])

        async def write() -> bool:
            try:  # the decision records the version it was made on
                await execute(store, stream, len, lambda version: [repriced(offer, 100 + version)], retries=3)
            except ConcurrencyConflict:
                return False
            return True

        written = await asyncio.gather(*(write() for _ in range(writers)))
        history = [stored.event for stored in await store.read(stream)]
        assert len(history) == 1 + sum(written)
        for version, event in enumerate(history[1:], start=1):
            assert isinstance(event, OfferPriceChanged) and event.price_cents == 100 + version

    asyncio.run(run())
