# SPDX-License-Identifier: AGPL-3.0-or-later
"""``catalog-admin``: prepare a town's catalog (database, topics, migrations, read tables)."""

from __future__ import annotations

from catalog.bootstrap import CATALOG
from catalog.settings import CatalogSettings
from downtown_events.runtime.service import admin_cli

cli = admin_cli(CATALOG, lambda: CatalogSettings())  # type: ignore[call-arg]
