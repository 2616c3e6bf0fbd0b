# SPDX-License-Identifier: Apache-2.0
"""Which events a consumer applies: next versions in order, duplicates dropped, gaps parked."""

from __future__ import annotations

from datetime import UTC, datetime

from downtown_events.envelope import CloudEvent
from downtown_events.runtime.records import KafkaRecord, UnreadableEvent
from downtown_events.runtime.tracking import Parked, select_fresh


def event(stream: str, version: int) -> UnreadableEvent:
    """Decoding does not matter here, only the stream and version."""
    envelope = CloudEvent("id", "/towns/t/catalog", "x.v1", stream, datetime.now(UTC), "t", version, b"{}")
    return UnreadableEvent(KafkaRecord("topic", 0, version, None, b"{}", []), envelope, "")


def versions(events: list) -> list[tuple[str, int]]:  # type: ignore[type-arg]
    return [(e.stream_id, e.stream_version) for e in events]


def test_duplicates_are_dropped_and_next_versions_applied_in_order() -> None:
    applied = {"a": 1}
    fresh = select_fresh([event("a", 1), event("a", 2), event("b", 1), event("a", 2)], applied)
    assert versions(fresh) == [("a", 2), ("b", 1)] and applied == {"a": 2, "b": 1}


def test_a_version_that_skips_ahead_waits_and_follows_the_one_before_it() -> None:
    applied: dict[str, int] = {}
    parked: Parked = {}
    assert select_fresh([event("a", 3), event("a", 2)], applied, parked) == []
    assert sorted(parked["a"]) == [2, 3]

    fresh = select_fresh([event("a", 1)], applied, parked)

    assert versions(fresh) == [("a", 1), ("a", 2), ("a", 3)]
    assert parked == {"a": {}} and applied == {"a": 3}
