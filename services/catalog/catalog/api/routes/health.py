"""Probes for Kubernetes: live = the process answers; ready = database, schema and broker."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from catalog.api.deps import Container

router = APIRouter(prefix="/healthz", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "live"}


@router.get("/ready", responses={503: {"description": "Not ready: `checks` names the missing dependency"}})
async def ready(container: Container) -> JSONResponse:
    ok, checks = await container.readiness.check()
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)
