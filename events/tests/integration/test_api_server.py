# SPDX-License-Identifier: Apache-2.0
"""The API server (uvicorn as the kit runs it) lets no client hold a connection by sending
its request's head slowly, or nothing at all; a head sent at once is served as ever.

A real server on loopback, with the deadline made short (the kit's is 10 s)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn

from downtown_events.runtime.http.body_limit import Receive, Scope, Send
from downtown_events.runtime.http.serve import heads_in_time, server_options
from downtown_events.runtime.settings import ServiceSettings
from tests.support.local_stack import free_port

DEADLINE = 1.5
REQUEST = b"GET /anything HTTP/1.1\r\nHost: downtown.test\r\nUser-Agent: a slow phone\r\n\r\n"


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    await send({"type": "http.response.body", "body": b"hello"})


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(
        hello, host="127.0.0.1", port=port, http=heads_in_time(DEADLINE), lifespan="off", log_config=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:  # noqa: ASYNC110 - uvicorn tells it only by this flag
                await asyncio.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        await task


async def closed_unanswered(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed the connection without a byte of answer."""
    try:
        async with asyncio.timeout(30):
            return await reader.read() == b""
    except ConnectionResetError:
        return True


async def trickle(writer: asyncio.StreamWriter, data: bytes, pause: float) -> None:
    """Send ``data`` a byte at a time until the server hangs up."""
    with contextlib.suppress(ConnectionError):
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(pause)


async def test_a_head_trickled_in_is_cut_off_and_one_sent_at_once_is_served() -> None:
    async with serving() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(REQUEST)
        assert (await reader.readuntil(b"hello")).startswith(b"HTTP/1.1 200")

        slow_reader, slow_writer = await asyncio.open_connection("127.0.0.1", port)
        sending = asyncio.create_task(trickle(slow_writer, REQUEST, pause=0.05))  # 4 s for the head
        assert await closed_unanswered(slow_reader)
        assert not sending.done()  # cut off before the head was whole
        sending.cancel()

        writer.write(REQUEST)  # the first connection, kept alive, is served again
        assert (await reader.readuntil(b"hello")).startswith(b"HTTP/1.1 200")
        writer.close()
        slow_writer.close()


async def test_a_kept_alive_connections_next_head_has_the_same_deadline() -> None:
    async with serving() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(REQUEST)
        assert (await reader.readuntil(b"hello")).startswith(b"HTTP/1.1 200")
        sending = asyncio.create_task(trickle(writer, REQUEST, pause=0.05))
        assert await closed_unanswered(reader)
        assert not sending.done()
        sending.cancel()
        writer.close()


async def test_a_connection_that_sends_nothing_is_closed() -> None:
    async with serving() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await closed_unanswered(reader)
        writer.close()


def test_the_api_server_decides_who_the_client_is_itself_and_bounds_heads_and_idle_connections() -> None:
    options = server_options(ServiceSettings(town="serve-town", database_url="postgresql://x/y", http_port=8123))
    assert options["proxy_headers"] is False  # clients.py decides, from DOWNTOWN_TRUSTED_PROXY_HOPS
    assert options["port"] == 8123 and options["timeout_keep_alive"] == 5
    assert options["h11_max_incomplete_event_size"] == 16 * 1024
    assert issubclass(options["http"], uvicorn.protocols.http.h11_impl.H11Protocol)
