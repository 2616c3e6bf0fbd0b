# SPDX-License-Identifier: AGPL-3.0-or-later
"""``downtown-web``: serve one town's web front (settings from ``DOWNTOWN_*``)."""

from __future__ import annotations

import logging

import uvicorn

from downtown_events.runtime.http.serve import server_options
from downtown_events.runtime.telemetry import setup_telemetry
from downtown_web.asgi import create_app
from downtown_web.settings import WebSettings


def main() -> None:
    settings = WebSettings()  # type: ignore[call-arg]
    setup_telemetry("web", settings.town, log_level=settings.log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per call to a service: the traces have them
    uvicorn.run(create_app(settings), **server_options(settings))
