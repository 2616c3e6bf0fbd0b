# SPDX-License-Identifier: Apache-2.0
"""An agent's batches, taken the moment it is free: no window to wait out.

faust's ``take_events(n, within)`` yields a batch when ``n`` events are buffered or every
``within`` seconds, so a lone event waited up to 50 ms at every hop of the order saga, and
every idle agent woke twenty times a second to find nothing. Here the agent sleeps until an
event arrives, lets in what has already reached the worker (the rest of a fetch), and takes
it all (at most ``max_size``). While a batch is being applied the next one gathers, so a
backlog still moves in full batches and a trickle moves one event at a time, at once. A
consumer nobody waits on (a projection) may linger a moment after the first event of a
batch for more to come: fewer, larger transactions when events trickle in, the window
faust's ``take_events`` had, but counted from an arrival, never an idle wake-up.

Acknowledgement is faust's own: the agent's stream does not ack by itself, a batch's events
are acked when the agent asks for the next batch, so (with the agent's ``process`` returning
only after the durable effect) an ack always follows the effect. Events buffered for the next
batch are not acked, so the offset faust commits never passes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import faust


class _Buffer:
    """Events read ahead of the agent, at most ``max_size``: the reader waits for room."""

    def __init__(self, stream: Any, max_size: int) -> None:
        self._stream = stream
        self._max_size = max_size
        self.events: list[Any] = []
        self.arrived = asyncio.Event()
        self.filled = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    async def add(self, value: Any) -> Any:
        """faust's processor for each value the stream reads, with its event current."""
        while len(self.events) >= self._max_size and not self._stream.should_stop:
            self._room.clear()
            await self._stream.wait(self._room)  # or until the stream stops
        event = self._stream.current_event
        if event is not None:  # a topic's values always come as events
            self.events.append(event)
            self.arrived.set()
            if len(self.events) >= self._max_size:
                self.filled.set()
        return value

    @property
    def room(self) -> int:
        return max(self._max_size - len(self.events), 0)

    def take(self) -> list[Any]:
        taken, self.events = self.events[: self._max_size], self.events[self._max_size :]
        if not self.events:
            self.arrived.clear()
        if len(self.events) < self._max_size:
            self.filled.clear()
        self._room.set()
        return taken


async def ready_batches(
    stream: faust.StreamT[Any], max_size: int, *, linger_seconds: float = 0.0
) -> AsyncIterator[list[Any]]:
    """The stream's events in batches of at most ``max_size``, each yielded as soon as the
    agent is free and something has arrived (or, lingering, up to ``linger_seconds`` after
    that for more to come, unless the batch fills first); acked when the agent asks for the
    next one."""
    buffer = _Buffer(stream, max_size)
    acks_before = stream.enable_acks
    stream.enable_acks = False  # acked here, after the agent is done with them
    stream.add_processor(buffer.add)
    # faust reads the channel in the background and hands each value to the processor.
    stream._enable_passive(aiter(stream.channel))  # type: ignore[attr-defined]
    try:
        while not stream.should_stop:
            await stream.wait_for_stopped(buffer.arrived)  # type: ignore[attr-defined]
            if linger_seconds:
                await stream.wait_for_stopped(buffer.filled, timeout=linger_seconds)  # type: ignore[attr-defined]
            await _let_in_what_has_arrived(stream, buffer)
            batch = buffer.take()
            if not batch:
                continue
            yield batch
            # Only an agent asking for the next batch acks this one (faust's take_events acks in
            # a ``finally``: also a batch whose agent was cancelled mid-way at shutdown, whose
            # offset could then be committed past effects never applied). Unacked, it comes again.
            for event in batch:
                await stream.ack(event)
    finally:
        stream.enable_acks = acks_before
        stream._processors.remove(buffer.add)  # type: ignore[attr-defined]


async def _let_in_what_has_arrived(stream: Any, buffer: _Buffer) -> None:
    """Give faust's reader the turns it needs to move what is already queued in the worker
    (one record per turn) into the buffer, without waiting for anything new."""
    queue = getattr(stream.channel, "queue", None)
    for _ in range(buffer.room):
        if queue is None or queue.empty() or stream.should_stop:
            return
        await asyncio.sleep(0)
