# SPDX-License-Identifier: Apache-2.0
"""Probes for Kubernetes: live = the process answers; ready = database, schema and broker."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from downtown_events.runtime.health import Readiness


def health_router(readiness: Callable[[Request], Readiness]) -> APIRouter:
    router = APIRouter(prefix="/healthz", tags=["health"])

    @router.get("/live")
    async def live() -> dict[str, str]:
        return {"status": "live"}

    @router.get("/ready", responses={503: {"description": "Not ready: `checks` names the missing dependency"}})
    async def ready(request: Request) -> JSONResponse:
        ok, checks = await readiness(request).check()
        body = {"status": "ready" if ok else "not ready", "checks": checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    return router
