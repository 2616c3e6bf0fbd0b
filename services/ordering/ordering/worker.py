# SPDX-License-Identifier: AGPL-3.0-or-later
"""``ordering-worker``: the order saga's process manager (catalog's and vouchers' answers),
the catalog replica, the order overview fed from ordering's own store, the merchants'
answer-time job, the e-mails, and the outbox relay (the runtime's service kit)."""

from __future__ import annotations

from downtown_events.runtime.service import run_service_worker
from ordering.bootstrap import ordering_service
from ordering.settings import OrderingSettings


def main() -> None:
    settings = OrderingSettings()  # type: ignore[call-arg]
    run_service_worker(ordering_service(settings.timer_job_seconds), settings)
