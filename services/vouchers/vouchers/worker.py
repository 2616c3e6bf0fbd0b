# SPDX-License-Identifier: AGPL-3.0-or-later
"""``vouchers-worker``: the town's voucher read models, the merchant replica fed from the
catalog's topic, the code lookup fed from the vouchers' own store, the expiry job, the live
figures and the outbox relay (the runtime's service kit)."""

from __future__ import annotations

from downtown_events.runtime.service import run_service_worker
from vouchers.bootstrap import vouchers_service
from vouchers.settings import VouchersSettings


def main() -> None:
    settings = VouchersSettings()  # type: ignore[call-arg]
    run_service_worker(vouchers_service(settings.expiry_job_seconds), settings)
