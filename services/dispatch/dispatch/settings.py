# SPDX-License-Identifier: AGPL-3.0-or-later
"""The dispatch service's settings: every service's (town, database, broker, ports) plus its own."""

from __future__ import annotations

from downtown_events.runtime.settings import ServiceSettings

SERVICE = "dispatch"


class DispatchSettings(ServiceSettings):
    """Add the service's own settings here; each is read from ``DOWNTOWN_<NAME>``."""
