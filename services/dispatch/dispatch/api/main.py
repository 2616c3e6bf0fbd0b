# SPDX-License-Identifier: AGPL-3.0-or-later
"""``dispatch-api``: serve one town's dispatch API (settings from ``DOWNTOWN_*``)."""

from __future__ import annotations

from dispatch.api.app import create_app
from dispatch.settings import SERVICE, DispatchSettings
from downtown_events.runtime.http.serve import serve_api


def main() -> None:
    serve_api(SERVICE, DispatchSettings(), create_app)  # type: ignore[call-arg]
