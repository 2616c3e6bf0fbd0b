# SPDX-License-Identifier: Apache-2.0
"""The one way a command becomes events: load the stream, let the domain decide, append.

Every service's handlers (and process managers, inside their consumer's transaction) go
through :func:`execute`, or :func:`decide_again_on_conflict` for a decision over several
streams. The append says which version it expects — the version the decision was made on,
never the stream's length read again — so if another writer got there first, the append
fails, the streams are read again and the domain decides again on what is now true, a few
times, before the conflict is reported (HTTP 409 at the edge; transient for a consumer,
which tries its batch again later).

Between tries outside a transaction the loop waits a random moment that grows with each
try, so that many writers racing for one hot stream (fifty redemptions of one voucher)
spread out instead of colliding again. Inside a transaction (a consumer's batch, a unit of
work) it never waits: the transaction's locks would be held meanwhile, and every writer of
those streams would queue behind the sleep. There the next try follows at once; it reads
what the rival committed, since each statement sees what was committed before it began.
The domain functions stay pure: ``replay`` folds events into state, ``decide`` returns the
new events.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.store import ConcurrencyConflict, EventStore, StoredEvent

S = TypeVar("S")
T = TypeVar("T")
CONFLICT_RETRIES = 3
HOT_STREAM_RETRIES = 20
"""For streams many writers share (an offer's stock, a voucher, an authorisation)."""
BACKOFF_SECONDS = 0.002


async def before_try(store: EventStore, attempt: int) -> None:
    """The pause before try ``attempt`` (0: the first, no pause): random and growing outside
    a transaction, none inside one (its locks would be held while it sleeps)."""
    if attempt and not store.holds_transaction:
        await asyncio.sleep(random.uniform(0, BACKOFF_SECONDS * min(attempt, 25)))


def events_of(history: Sequence[StoredEvent]) -> list[IntegrationEvent]:
    return [stored.event for stored in history]


async def load(store: EventStore, stream_id: str, replay: Callable[[Sequence[IntegrationEvent]], S | None]) -> S | None:
    """The aggregate as its stream says now (None for a stream not yet written)."""
    return replay(events_of(await store.read(stream_id)))


async def execute(
    store: EventStore,
    stream_id: str,
    replay: Callable[[Sequence[IntegrationEvent]], S | None],
    decide: Callable[[S | None], Sequence[IntegrationEvent]],
    *,
    metadata: Mapping[str, str] | None = None,
    retries: int = CONFLICT_RETRIES,
    history: Sequence[StoredEvent] | None = None,
) -> S:
    """Decide on the current state and append; on a conflict, reload and decide again.

    Returns the aggregate after the new events. ``metadata`` is stored with them (never
    published). A decision that returns no events appends nothing. ``retries`` is how
    many times to decide at most: raise it for streams many writers share. ``history`` is
    the stream as the caller has just read it, to decide on first instead of reading again.
    """
    known = events_of(history) if history is not None else None
    for attempt in range(retries):
        await before_try(store, attempt)
        events = known if known is not None and not attempt else events_of(await store.read(stream_id))
        new_events = list(decide(replay(events)))
        try:
            await store.append(stream_id, len(events), new_events, metadata)
        except ConcurrencyConflict:
            continue
        after = replay([*events, *new_events])
        if after is None:
            raise ValueError(f"deciding on {stream_id} left no aggregate behind")
        return after
    raise ConcurrencyConflict(stream_id, -1)


async def decide_again_on_conflict(
    store: EventStore, attempt: Callable[[EventStore], Awaitable[T]], *, retries: int = HOT_STREAM_RETRIES
) -> T:
    """Run ``attempt`` — read several streams, decide, append each at the version read — in
    a unit of work (all or none; a savepoint inside a consumer's transaction), and again
    on a conflict, on what is then committed. The last conflict is raised."""
    for try_ in range(retries - 1):
        await before_try(store, try_)
        try:
            async with store.unit_of_work() as unit:
                return await attempt(unit)
        except ConcurrencyConflict:
            continue
    await before_try(store, retries - 1)
    async with store.unit_of_work() as unit:
        return await attempt(unit)


class StreamLocks:
    """Lets one process's writers of a hot stream take turns instead of racing.

    Optimistic concurrency keeps a stream right whatever happens; but when many requests in
    one API process write the same stream at once (a voucher redeemed at several tills), each
    win costs the others a wasted read and decision. Holding a lock per stream while
    executing lets them go one after another in this process; other processes still meet
    the store's conflict check, and the command loop still retries.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def held(self, stream_id: str) -> AsyncIterator[bool]:
        """Yields whether another writer of this process went first (what was read before
        waiting is stale then)."""
        lock = self._locks.setdefault(stream_id, asyncio.Lock())
        self._waiting[stream_id] = self._waiting.get(stream_id, 0) + 1
        try:
            waited = lock.locked()
            async with lock:
                yield waited
        finally:
            self._waiting[stream_id] -= 1
            if not self._waiting[stream_id]:  # nobody else wants it: forget it
                del self._waiting[stream_id], self._locks[stream_id]
