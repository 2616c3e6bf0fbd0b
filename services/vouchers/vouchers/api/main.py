# SPDX-License-Identifier: AGPL-3.0-or-later
"""``vouchers-api``: serve one town's vouchers API (settings from ``DOWNTOWN_*``)."""

from __future__ import annotations

from downtown_events.runtime.http.serve import serve_api
from vouchers.api.app import create_app
from vouchers.settings import SERVICE, VouchersSettings


def main() -> None:
    serve_api(SERVICE, VouchersSettings(), create_app)  # type: ignore[call-arg]
