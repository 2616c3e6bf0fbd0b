"""``catalog-worker``: the town's catalog projections (faust agents) and its outbox relay.

One process per town (scale out by running more: faust splits the partitions among
them, and only one relay publishes at a time). The wiring is the runtime's service kit.
"""

from __future__ import annotations

from catalog.bootstrap import CATALOG
from catalog.settings import CatalogSettings
from downtown_events.runtime.faust_worker import run_worker
from downtown_events.runtime.service import build_worker
from downtown_events.runtime.telemetry import setup_telemetry


def main() -> None:
    settings = CatalogSettings()  # type: ignore[call-arg]
    setup_telemetry(f"{CATALOG.name}-worker", settings.town, log_level=settings.log_level)
    run_worker(build_worker(CATALOG, settings), settings.log_level)
