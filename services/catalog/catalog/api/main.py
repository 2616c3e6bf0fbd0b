# SPDX-License-Identifier: AGPL-3.0-or-later
"""``catalog-api``: serve one town's catalog API (settings from ``DOWNTOWN_*``)."""

from __future__ import annotations

from catalog.api.app import create_app
from catalog.settings import SERVICE, CatalogSettings
from downtown_events.runtime.http.serve import serve_api


def main() -> None:
    serve_api(SERVICE, CatalogSettings(), create_app)  # type: ignore[call-arg]
