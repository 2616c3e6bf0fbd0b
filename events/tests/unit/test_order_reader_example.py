# SPDX-License-Identifier: Apache-2.0
"""The integrators' example reader applies each event once, in order, whatever is repeated."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from uuid import uuid4

from downtown_events import CloudEvent

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "order_reader.py"


def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("order_reader", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def envelope(subject: str, version: int) -> CloudEvent:
    return CloudEvent(
        id=f"{subject}-{version}",
        source="/towns/t/ordering",
        type="downtown.ordering.OrderAccepted.v1",
        subject=subject,
        time=datetime.now(UTC),
        town="t",
        streamversion=version,
        data=b"{}",
    )


def test_repeats_are_dropped_and_an_event_ahead_waits_for_its_resend() -> None:
    apply_once = example().apply_once
    order, other = str(uuid4()), str(uuid4())
    # What a relay crash looks like on the topic: 1 2 3, then 2 3 again after the restart;
    # another aggregate's 2 arrives before its 1 was resent.
    arrivals = [(order, 1), (order, 2), (order, 3), (order, 2), (order, 3), (other, 2), (other, 1), (other, 2)]
    applied: dict[str, int] = {}
    taken = [(subject, version) for subject, version in arrivals if apply_once(applied, envelope(subject, version))]
    assert taken == [(order, 1), (order, 2), (order, 3), (other, 1), (other, 2)]
    assert applied == {order: 3, other: 2}
