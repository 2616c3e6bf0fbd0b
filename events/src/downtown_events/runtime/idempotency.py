# SPDX-License-Identifier: Apache-2.0
"""Idempotency keys: a retried request creates nothing twice, and a reused key is noticed.

Every service's creating POSTs use this, by the IETF Idempotency-Key draft. The key gives
the new aggregate its id (decision 9), so a retry addresses the same stream
and the event store's uniqueness refuses a second creation. What the first request asked
for is kept as a fingerprint in the creating events' metadata (stored, never published):
a later request with the same key and the same content is a replay and gets the
aggregate back; one with other content reused the key and is refused, as the IETF
Idempotency-Key draft asks (HTTP 422). A replay never carries a credential: only the
request that created an aggregate learns its secrets.

All of this is pure, for a service's ``app/``; the lease that keeps a retry from racing
the request still running (:func:`~downtown_events.runtime.request_leases.one_at_a_time`,
which raises :class:`RequestInFlight`) is a row in PostgreSQL, so it lives in the adapter
:mod:`downtown_events.runtime.request_leases`, for a service's API routes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from pydantic import BaseModel

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.commands import execute
from downtown_events.runtime.store import EventStore, StoredEvent

S = TypeVar("S")

FINGERPRINT = "request_fingerprint"


class IdempotencyKeyReused(Exception):
    """The key was first used for a request with other content (HTTP 422 in every service)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def created_id(scope: str, idempotency_key: str | None) -> UUID:
    """A new aggregate's id; derived from the idempotency key, so a retried request
    addresses the same stream and cannot create a second merchant, offer or purchase.
    ``scope`` keeps keys of different callers or kinds apart (``offer:<merchant id>``)."""
    return uuid5(NAMESPACE_URL, f"downtown:{scope}:{idempotency_key}") if idempotency_key else uuid4()


def fingerprint(command: Any) -> str:
    """SHA-256 of the command's content, without its idempotency key.

    Taken from the validated command rather than the HTTP body, so the same request sent
    with other JSON spacing or field order is still the same request; a photo counts by
    the hash of its bytes.
    """
    canonical = json.dumps(_canonical(command), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def fingerprint_metadata(request_fingerprint: str | None) -> dict[str, str] | None:
    """The metadata a creating append stores, so a later replay can be recognised."""
    return {FINGERPRINT: request_fingerprint} if request_fingerprint else None


def ensure_same_request(history: Sequence[StoredEvent], request_fingerprint: str) -> None:
    """Refuse a replay whose content differs from the request that created the stream.

    Streams created before fingerprints were stored have none; their replays are answered
    (nothing secret is in the answer) rather than refused.
    """
    first = history[0].metadata.get(FINGERPRINT) if history else None
    if first is not None and first != request_fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used for a different request; "
            "use a new key for a new request, or repeat the first request unchanged"
        )


async def create_once(
    store: EventStore,
    stream_id: str,
    replay: Callable[[Sequence[IntegrationEvent]], S | None],
    decide: Callable[[S | None], Sequence[IntegrationEvent]],
    *,
    command: Any,
    idempotency_key: str | None,
    exists: type[Exception],
) -> tuple[S, bool]:
    """Create the aggregate ``stream_id`` (whose id came from :func:`created_id`), or, when
    the decision says it ``exists`` already and the request is a replay of the one that
    created it, return that one. The flag says whether it was created now: a replay must
    not be answered with whatever secret the creation handed out."""
    request = fingerprint(command)
    try:
        return await execute(store, stream_id, replay, decide, metadata=fingerprint_metadata(request)), True
    except exists:
        if idempotency_key is None:
            raise
        history = await store.read(stream_id)
        ensure_same_request(history, request)
        replayed = replay([stored.event for stored in history])
        if replayed is None:
            raise
        return replayed, False


def _canonical(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # A command's fields added later (its ``added_fields``), left at their defaults, are
        # left out as a value's are: the request prints as it did before they existed.
        added: frozenset[str] = getattr(value, "added_fields", frozenset())
        return {
            field.name: _canonical(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.name != "idempotency_key"
            and not (field.name in added and getattr(value, field.name) == field.default)
        }
    if isinstance(value, BaseModel):
        later: frozenset[str] = getattr(value, "added_fields", frozenset())
        dumped = value.model_dump(mode="json")
        return {name: item for name, item in dumped.items() if not (name in later and item is None)}
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, dict):
        return {str(name): _canonical(item) for name, item in value.items()}
    return value


class RequestInFlight(Exception):
    """A request with this Idempotency-Key is still being processed (HTTP 409 in every service)."""

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__(
            "a request with this Idempotency-Key is still being processed; "
            "wait for its answer, or retry in a moment to get it"
        )
        self.reason = str(self)
        self.retry_after = max(retry_after, 1)
