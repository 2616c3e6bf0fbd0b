# SPDX-License-Identifier: AGPL-3.0-or-later
"""``catalog-worker``: the town's catalog projections (faust agents) and its outbox relay.

One process per town (scale out by running more: faust splits the partitions among
them, and only one relay publishes at a time). The wiring is the runtime's service kit.
"""

from __future__ import annotations

from catalog.bootstrap import CATALOG
from catalog.projections import compounds
from catalog.settings import CatalogSettings
from downtown_events.runtime.service import run_service_worker


def main() -> None:
    # The town catalog splits the compounds of every listing: its word list (under a second)
    # loads now rather than in the first batch, which would hold a new offer back that long.
    compounds.load()
    run_service_worker(CATALOG, CatalogSettings())  # type: ignore[call-arg]
