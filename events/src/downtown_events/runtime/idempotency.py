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
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import psycopg
from pydantic import BaseModel

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.commands import execute
from downtown_events.runtime.database import Pool
from downtown_events.runtime.store import EventStore, StoredEvent

S = TypeVar("S")
log = logging.getLogger(__name__)

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
        return {
            field.name: _canonical(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.name != "idempotency_key"
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


LEASE_SECONDS = 60.0
"""A request holding a key's lease longer than this is presumed dead (its process was
killed); a retry may then run. Even so, the event store's version check keeps two of them
from both writing."""

# Taken when free or expired; the RETURNING row says whether it is ours.
_TAKE = """
INSERT INTO request_leases (lease, holder, expires_at) VALUES (%s, %s, now() + make_interval(secs => %s))
ON CONFLICT (lease) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
    WHERE request_leases.expires_at <= now()
RETURNING holder
"""
_LEFT = "SELECT ceil(extract(epoch FROM expires_at - now()))::int AS seconds FROM request_leases WHERE lease = %s"
_GIVE_BACK = "DELETE FROM request_leases WHERE lease = %s AND holder = %s"
_PRUNE = "DELETE FROM request_leases WHERE expires_at < now() - interval '1 hour'"


@contextlib.asynccontextmanager
async def one_at_a_time(
    pool: Pool,
    scope: str,
    idempotency_key: str | None,
    *,
    lease_seconds: float = LEASE_SECONDS,
    prune_probability: float = 0.01,
) -> AsyncIterator[None]:
    """Run the block for at most one request per ``scope`` and key at a time, across replicas.

    A retry that arrives while the first request still runs is refused at once (the draft's
    409, with the lease's remaining time as ``Retry-After``) instead of racing it; once the
    first has ended, the retry replays its answer. The lease is a row, taken and given back
    by a statement each: no connection of the request's pool is held while the block runs
    (a session lock held a connection per waiting request, and thirty strangers' requests
    starved every other request of the pool). Callers authenticate and look up what the
    request names first, so that a stranger's request never takes a lease.
    """
    if idempotency_key is None:
        yield
        return
    lease, holder = f"{scope}:{idempotency_key}", uuid4()
    async with pool.connection() as conn:
        taken = await (await conn.execute(_TAKE, (lease, holder, lease_seconds))).fetchone()
        if taken is None:
            left = await (await conn.execute(_LEFT, (lease,))).fetchone()
            raise RequestInFlight(int(left["seconds"]) if left and left["seconds"] else 1)
        if random.random() < prune_probability:
            await conn.execute(_PRUNE)
    try:
        yield
    finally:
        try:
            async with pool.connection() as conn:
                await conn.execute(_GIVE_BACK, (lease, holder))
        except psycopg.Error as error:  # the database went away meanwhile: the lease expires by itself
            log.warning("could not give back the lease of %s (%r); it expires in %.0f s", scope, error, lease_seconds)
