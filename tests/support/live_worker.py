# SPDX-License-Identifier: AGPL-3.0-or-later
"""A service worker made by the kit with one live figure, for the worker's HTTP tests.

``python -m tests.support.live_worker`` reads ``DOWNTOWN_*`` like a service's
``<service>-worker`` and runs :func:`run_service_worker` for a service named ``probe`` that
counts the catalog's merchant registrations on its own topic (nothing is ever sent there:
the tests look at what the worker's port serves, not at what it counts).
"""

from __future__ import annotations

from downtown_events.catalog import MerchantRegistered
from downtown_events.runtime.live_figures import LiveFigure
from downtown_events.runtime.service import ServiceDefinition, run_service_worker
from downtown_events.runtime.settings import ServiceSettings

SERVICE = "probe"
FIGURE = LiveFigure("registrations", (MerchantRegistered,))
PROBE = ServiceDefinition(name=SERVICE, live_figures=[FIGURE])

if __name__ == "__main__":
    run_service_worker(PROBE, ServiceSettings())  # type: ignore[call-arg]
