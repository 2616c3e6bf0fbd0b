"""The body limit counts the bytes that arrive, whatever the headers claim."""

from __future__ import annotations

import json
from typing import Any

from downtown_events.runtime.http.body_limit import BodySizeLimit, Message, Receive, RouteLimit, Scope, Send


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
