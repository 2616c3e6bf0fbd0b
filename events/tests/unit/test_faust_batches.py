# SPDX-License-Identifier: Apache-2.0
"""An agent's batches: taken as soon as it is free, a backlog in full batches, acked only after."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import faust

from downtown_events.runtime.faust_batches import ready_batches


@dataclass
class Agent:
    """Takes batches with ``ready_batches`` and holds each until ``release`` is called."""

    batches: list[list[Any]] = field(default_factory=list)
    acked_when_taken: list[list[bool]] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    def values(self) -> list[list[bytes]]:
        return [[event.value for event in batch] for batch in self.batches]

    async def release(self) -> None:
        self.gate.set()
        await asyncio.sleep(0.02)


def _app(agent: Agent, max_size: int, linger_seconds: float = 0.0) -> Callable[..., Any]:
    app = faust.App(f"test-batches-{uuid.uuid4().hex}", store="memory://", web_enabled=False)

    async def take(stream: faust.StreamT[Any]) -> None:
        async for batch in ready_batches(stream, max_size, linger_seconds=linger_seconds):
            agent.batches.append(batch)
            agent.acked_when_taken.append([event.message.acked for event in batch])
            await agent.gate.wait()
            agent.gate.clear()

    return app.agent()(take)  # type: ignore[no-any-return]


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(5000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the agent did not get there")


async def _put(context: Any, *values: bytes) -> None:
    for value in values:
        await context.put(value, wait=False)


@contextlib.asynccontextmanager
async def _running(agent: Agent, max_size: int, linger_seconds: float = 0.0) -> AsyncIterator[Any]:
    async with _app(agent, max_size, linger_seconds).test_context() as context:
        yield context


async def test_a_lone_event_is_taken_at_once_and_what_arrives_meanwhile_comes_next_in_full_batches() -> None:
    agent = Agent()
    async with _running(agent, max_size=5) as context:
        await _put(context, b"1")
        await _until(lambda: len(agent.batches) == 1)  # nothing else came: not held for a window
        await _put(context, *(str(n).encode() for n in range(2, 14)))
        for _ in range(4):
            await agent.release()
        await _until(lambda: len(agent.batches) == 4)
    assert agent.values() == [
        [b"1"],
        [b"2", b"3", b"4", b"5", b"6"],
        [b"7", b"8", b"9", b"10", b"11"],
        [b"12", b"13"],
    ]


async def test_a_batch_is_acked_once_the_agent_asks_for_the_next_and_what_waits_is_not() -> None:
    agent = Agent()
    async with _running(agent, max_size=5) as context:
        await _put(context, b"1")
        await _until(lambda: len(agent.batches) == 1)
        await _put(context, b"2", b"3")
        await asyncio.sleep(0.02)
        assert [event.message.acked for event in agent.batches[0]] == [False]  # still being applied
        await agent.release()
        await _until(lambda: len(agent.batches) == 2)
        assert [event.message.acked for event in agent.batches[0]] == [True]
        assert agent.acked_when_taken[1] == [False, False]  # buffered while the first was applied
        await agent.release()


async def test_a_lingering_batch_waits_for_what_follows_its_first_event() -> None:
    agent = Agent()
    async with _running(agent, max_size=5, linger_seconds=1.0) as context:
        await _put(context, b"1")
        await asyncio.sleep(0.05)
        await _put(context, b"2")
        await _until(lambda: bool(agent.batches))
        await agent.release()
    assert agent.values() == [[b"1", b"2"]]
