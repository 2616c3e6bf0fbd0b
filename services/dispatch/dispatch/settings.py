# SPDX-License-Identifier: AGPL-3.0-or-later
"""The dispatch service's settings: every service's (town, database, broker, ports) plus its own."""

from __future__ import annotations

from pydantic import Field

from downtown_events.runtime.settings import DeliveryHandoffSettings, ServiceSettings

SERVICE = "dispatch"


class DispatchSettings(ServiceSettings, DeliveryHandoffSettings):
    """Add the service's own settings here; each is read from ``DOWNTOWN_<NAME>``."""

    replan_seconds: float = Field(
        default=30, gt=0, le=3600, description="how often the worker plans today's tours again when something changed"
    )
