# SPDX-License-Identifier: Apache-2.0
"""The body limit counts the bytes that arrive, whatever the headers claim, and gives up on
a body that does not arrive in time."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from downtown_events.runtime.http.body_limit import (
    BodyDeadline,
    BodySizeLimit,
    Message,
    Receive,
    Refusal,
    RouteLimit,
    Scope,
    Send,
)


def http_scope(
    method: str = "POST", path: str = "/merchants", headers: list[tuple[bytes, bytes]] | None = None
) -> Scope:
    return {"type": "http", "method": method, "path": path, "headers": headers or []}


def chunks(*parts: bytes) -> Receive:
    """A chunked body: several messages, no Content-Length."""
    messages = [{"type": "http.request", "body": part, "more_body": True} for part in parts]
    messages.append({"type": "http.request", "body": b"", "more_body": False})

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


class Answer:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))


async def reading_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body, then answers 200 with its size; a failed read answers 400,
    as a framework does for a body it could not parse."""
    size = 0
    try:
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
    except Exception:
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b'{"detail":"bad body"}'})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps({"size": size}).encode()})


async def test_a_chunked_body_past_the_limit_gets_413_whatever_the_app_answers() -> None:
    answer = Answer()
    limited = BodySizeLimit(reading_app, default_bytes=1024)
    await limited(http_scope(), chunks(b"x" * 600, b"x" * 600, b"x" * 10_000), answer)
    assert answer.status == 413
    assert answer.body["status"] == 413
    assert "1 KB" in answer.body["detail"]
    assert (b"content-type", b"application/problem+json") in answer.messages[0]["headers"]


async def test_a_declared_length_past_the_limit_is_refused_before_reading() -> None:
    read: list[Message] = []

    async def receive() -> Message:
        read.append({})
        return {"type": "http.request", "body": b"", "more_body": False}

    answer = Answer()
    limited = BodySizeLimit(reading_app, default_bytes=1000)
    await limited(http_scope(headers=[(b"content-length", b"5000")]), receive, answer)
    assert answer.status == 413
    assert read == []


async def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    answer = Answer()
    limited = BodySizeLimit(reading_app, default_bytes=1000)
    await limited(http_scope(), chunks(b"x" * 500, b"x" * 500), answer)
    assert (answer.status, answer.body) == (200, {"size": 1000})


async def test_a_route_may_have_a_larger_limit_and_says_what_to_do() -> None:
    limited = BodySizeLimit(
        reading_app,
        default_bytes=1000,
        routes=[RouteLimit("POST", "/offers/[^/]+/photos", 5000, "resize the photo")],
    )
    allowed = Answer()
    await limited(http_scope(path="/offers/abc/photos"), chunks(b"x" * 4000), allowed)
    assert allowed.status == 200
    refused = Answer()
    await limited(http_scope(path="/offers/abc/photos"), chunks(b"x" * 6000), refused)
    assert refused.status == 413
    assert refused.body["detail"].endswith("resize the photo")
    elsewhere = Answer()
    await limited(http_scope(path="/offers/abc/price"), chunks(b"x" * 4000), elsewhere)
    assert elsewhere.status == 413


async def a_page(scope: Scope, limit: RouteLimit) -> Refusal:
    """A route's own answer: it sees the request's scope and the limit, never the body."""
    words = f"<p>{scope['path']}: at most {limit.max_bytes} bytes</p>".encode()
    return Refusal(
        413, [(b"content-type", b"text/html"), (b"content-length", b"1"), (b"x-frame-options", b"DENY")], words
    )


async def test_a_route_may_answer_a_body_too_large_with_its_own_page() -> None:
    limited = BodySizeLimit(
        reading_app, default_bytes=1000, routes=[RouteLimit("POST", "/offers", 5000, too_large=a_page)]
    )
    for headers, body in (([(b"content-length", b"9000")], chunks()), ([], chunks(b"x" * 3000, b"x" * 3000))):
        answer = Answer()
        await limited(http_scope(path="/offers", headers=headers), body, answer)
        assert answer.status == 413
        assert b"".join(m.get("body", b"") for m in answer.messages[1:]) == b"<p>/offers: at most 5000 bytes</p>"
        sent = answer.messages[0]["headers"]
        assert (b"content-type", b"text/html") in sent and (b"x-frame-options", b"DENY") in sent
        # the length is the middleware's (the page's own claim dropped), and the connection closes
        assert [value for name, value in sent if name == b"content-length"] == [b"34"]
        assert (b"connection", b"close") in sent


async def test_a_page_that_fails_to_draw_leaves_the_problem() -> None:
    async def broken(scope: Scope, limit: RouteLimit) -> Refusal:
        raise RuntimeError("the template is missing")

    limited = BodySizeLimit(reading_app, default_bytes=10, routes=[RouteLimit("POST", "/offers", 10, too_large=broken)])
    answer = Answer()
    await limited(http_scope(path="/offers"), chunks(b"x" * 100), answer)
    assert answer.status == 413 and answer.body["status"] == 413


async def test_an_app_that_lets_the_error_escape_still_answers_413() -> None:
    async def careless_app(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass

    answer = Answer()
    await BodySizeLimit(careless_app, default_bytes=10)(http_scope(), chunks(b"x" * 100), answer)
    assert answer.status == 413


async def test_the_rest_of_a_refused_body_is_read_and_discarded_before_the_answer() -> None:
    """Answering while the client still sends makes the kernel reset the connection."""
    consumed: list[int] = []
    body = chunks(*[b"x" * 600] * 10)

    async def counting() -> Message:
        message = await body()
        consumed.append(len(message.get("body", b"")))
        return message

    answer = Answer()
    await BodySizeLimit(reading_app, default_bytes=1024)(http_scope(), counting, answer)
    assert answer.status == 413
    assert sum(consumed) == 6000 and consumed[-1] == 0  # read to the end, then answered


# --- the deadline: no real sleep of a real deadline, just deadlines made tiny ----------------


def stalling(*parts: bytes) -> tuple[Receive, list[int]]:
    """A client that sends ``parts`` and then nothing more, never finishing its body (as one
    holding a connection does); also the sizes the app was given."""
    given: list[int] = []
    queue = list(parts)

    async def receive() -> Message:
        if queue:
            part = queue.pop(0)
            given.append(len(part))
            return {"type": "http.request", "body": part, "more_body": True}
        await asyncio.Event().wait()  # nothing ever comes
        raise AssertionError("unreachable")

    return receive, given


def trickling(total: int, pause: float) -> tuple[Receive, list[int]]:
    """A client sending ``total`` bytes one at a time, ``pause`` seconds apart."""
    given: list[int] = []

    async def receive() -> Message:
        await asyncio.sleep(pause)
        given.append(1)
        return {"type": "http.request", "body": b"x", "more_body": len(given) < total}

    return receive, given


def too_slow(answer: Answer) -> None:
    assert answer.status == 408, answer.messages
    assert answer.body["status"] == 408 and answer.body["title"] == "Request too slow"
    assert "did not arrive in time" in answer.body["detail"]
    headers = answer.messages[0]["headers"]
    assert (b"connection", b"close") in headers and (b"content-type", b"application/problem+json") in headers


async def test_a_body_that_stops_arriving_gets_408_at_its_deadline() -> None:
    receive, given = stalling(b'{"code": "', b"AB")
    answer = Answer()
    limited = BodySizeLimit(reading_app, default_bytes=1024, deadline=BodyDeadline(0.05, 1_000_000))
    await asyncio.wait_for(limited(http_scope(), receive, answer), timeout=30)
    too_slow(answer)
    assert given == [10, 2]


async def test_a_body_that_never_starts_gets_408_too() -> None:
    receive, given = stalling()
    answer = Answer()
    limited = BodySizeLimit(reading_app, default_bytes=1024, deadline=BodyDeadline(0.02, 1_000_000))
    await asyncio.wait_for(limited(http_scope(), receive, answer), timeout=30)
    too_slow(answer)
    assert given == []


async def test_a_body_trickled_a_byte_at_a_time_is_cut_off() -> None:
    """Each byte earns a microsecond; the body would need ten seconds of pauses."""
    receive, given = trickling(10_000, pause=0.001)
    answer = Answer()
    limited = BodySizeLimit(reading_app, default_bytes=64 * 1024, deadline=BodyDeadline(0.05, 1_000_000))
    await asyncio.wait_for(limited(http_scope(), receive, answer), timeout=30)
    too_slow(answer)
    assert 0 < len(given) < 10_000


async def test_bytes_received_earn_time_at_the_slowest_rate_allowed() -> None:
    """Never sooner than the deadline: 0.05 s, plus 500 bytes at 5000 bytes/s (0.1 s)."""
    receive, _ = stalling(b"x" * 500)
    answer = Answer()
    limited = BodySizeLimit(reading_app, default_bytes=1024, deadline=BodyDeadline(0.05, 5000))
    started = time.monotonic()
    await asyncio.wait_for(limited(http_scope(), receive, answer), timeout=30)
    too_slow(answer)
    assert time.monotonic() - started >= 0.15


async def test_the_app_that_lets_the_timeout_escape_still_answers_408() -> None:
    async def careless_app(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass

    receive, _ = stalling(b"x")
    answer = Answer()
    await BodySizeLimit(careless_app, default_bytes=10, deadline=BodyDeadline(0.02, 1000))(
        http_scope(), receive, answer
    )
    too_slow(answer)


async def test_the_clock_starts_when_the_app_first_reads() -> None:
    """A route that waits for a slot before it reads (a photo upload) spends none of the
    client's time: the body was there all along."""

    async def waiting_app(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(0.05)
        await reading_app(scope, receive, send)

    answer = Answer()
    limited = BodySizeLimit(waiting_app, default_bytes=1024, deadline=BodyDeadline(0.01, 1_000_000))
    await limited(http_scope(), chunks(), answer)
    assert (answer.status, answer.body) == (200, {"size": 0})


async def test_after_the_body_the_app_may_wait_for_a_disconnect_as_long_as_it_likes() -> None:
    """Once the body is whole, a later ``receive`` only tells of a disconnect (a streaming
    answer listens for it): no deadline applies to it."""
    body: list[Message] = [{"type": "http.request", "body": b"{}", "more_body": False}]
    hung_up = asyncio.Event()

    async def receive() -> Message:
        if body:
            return body.pop()
        await hung_up.wait()
        return {"type": "http.disconnect"}

    async def listening_app(scope: Scope, receive: Receive, send: Send) -> None:
        assert (await receive())["body"] == b"{}"
        listener = asyncio.ensure_future(receive())
        await asyncio.sleep(0.05)  # five times the deadline
        hung_up.set()
        assert (await listener)["type"] == "http.disconnect"
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    answer = Answer()
    await BodySizeLimit(listening_app, default_bytes=1024, deadline=BodyDeadline(0.01, 1_000_000))(
        http_scope(), receive, answer
    )
    assert answer.status == 204
