# SPDX-License-Identifier: Apache-2.0
"""Topic names: every town has its own, so one town's events never mix with another's."""

from __future__ import annotations

import re

TOWN_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")


def check_town(town: str) -> str:
    """A town id is a lowercase slug; it becomes part of topic and database names."""
    if not TOWN_PATTERN.match(town):
        raise ValueError(f"town {town!r} must match {TOWN_PATTERN.pattern}")
    return town


def events_topic(town: str, service: str) -> str:
    """``<town>.<service>.events``: the service's event log, partitioned by aggregate id."""
    return f"{check_town(town)}.{service}.events"


def dead_letter_topic(town: str, service: str) -> str:
    """``<town>.<service>.dlq``: records a consumer of that service could not decode."""
    return f"{check_town(town)}.{service}.dlq"


def event_source(town: str, service: str) -> str:
    """The CloudEvents ``source`` of everything a service of a town writes."""
    return f"/towns/{check_town(town)}/{service}"
