"""Serving a service's API: uvicorn, behind the town's proxy, logging through telemetry's JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from downtown_events.runtime.settings import ServiceSettings
from downtown_events.runtime.telemetry import setup_telemetry

S = TypeVar("S", bound=ServiceSettings)


def serve_api(service: str, settings: S, create_app: Callable[[S], FastAPI]) -> None:
    """Set up telemetry, build the app and serve it until SIGTERM (how Kubernetes stops a pod)."""
    setup_telemetry(f"{service}-api", settings.town, log_level=settings.log_level)
    app = create_app(settings)
    uvicorn.run(app, host="0.0.0.0", port=settings.http_port, log_config=None, proxy_headers=True, access_log=False)
