"""The one way a command becomes events: load the stream, let the domain decide, append.

Every service's handlers (and process managers, inside their consumer's transaction) go
through :func:`execute`. The append says which version it expects; if another writer got
there first, the stream is loaded again and the domain decides again on what is now true,
a few times, before the conflict is reported (HTTP 409 at the edge). Between tries the
loop waits a random moment that grows with each try, so that many writers racing for one
hot stream (fifty redemptions of one voucher) spread out instead of colliding again. The domain functions
stay pure: ``replay`` folds events into state, ``decide`` returns the new events.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.store import ConcurrencyConflict, EventStore, StoredEvent

S = TypeVar("S")
Replay = Callable[[Sequence[IntegrationEvent]], "S | None"]
CONFLICT_RETRIES = 3
BACKOFF_SECONDS = 0.002


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
) -> S:
    """Decide on the current state and append; on a conflict, reload and decide again.

    Returns the aggregate after the new events. ``metadata`` is stored with them (never
    published). A decision that returns no events appends nothing. ``retries`` is how
    many times to decide at most: raise it for streams many writers share.
    """
    for attempt in range(retries):
        if attempt:
            await asyncio.sleep(random.uniform(0, BACKOFF_SECONDS * min(attempt, 25)))
        history = events_of(await store.read(stream_id))
        new_events = list(decide(replay(history)))
        try:
            await store.append(stream_id, len(history), new_events, metadata)
        except ConcurrencyConflict:
            continue
        after = replay([*history, *new_events])
        if after is None:
            raise ValueError(f"deciding on {stream_id} left no aggregate behind")
        return after
    raise ConcurrencyConflict(stream_id, -1)
