"""``vouchers-worker``: the town's voucher read models, the merchant replica fed from the
catalog's topic, the expiry job, and the outbox relay (the runtime's service kit)."""

from __future__ import annotations

from downtown_events.runtime.faust_worker import run_worker
from downtown_events.runtime.service import build_worker
from downtown_events.runtime.telemetry import setup_telemetry
from vouchers.bootstrap import vouchers_service
from vouchers.settings import SERVICE, VouchersSettings


def main() -> None:
    settings = VouchersSettings()  # type: ignore[call-arg]
    setup_telemetry(f"{SERVICE}-worker", settings.town, log_level=settings.log_level)
    run_worker(build_worker(vouchers_service(settings.expiry_job_seconds), settings), settings.log_level)
