# SPDX-License-Identifier: AGPL-3.0-or-later
"""``ordering-api``: serve one town's ordering API (settings from ``DOWNTOWN_*``)."""

from __future__ import annotations

from downtown_events.runtime.http.serve import serve_api
from ordering.api.app import create_app
from ordering.settings import SERVICE, OrderingSettings


def main() -> None:
    serve_api(SERVICE, OrderingSettings(), create_app)  # type: ignore[call-arg]
