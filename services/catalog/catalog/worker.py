# SPDX-License-Identifier: AGPL-3.0-or-later
"""``catalog-worker``: the town's catalog projections (faust agents) and its outbox relay.

One process per town (scale out by running more: faust splits the partitions among
them, and only one relay publishes at a time). The wiring is the runtime's service kit.
"""

from __future__ import annotations

from catalog.bootstrap import CATALOG
from catalog.settings import CatalogSettings
from downtown_events.runtime.service import run_service_worker


def main() -> None:
    run_service_worker(CATALOG, CatalogSettings())  # type: ignore[call-arg]
