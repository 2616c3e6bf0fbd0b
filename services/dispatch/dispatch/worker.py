# SPDX-License-Identifier: AGPL-3.0-or-later
"""``dispatch-worker``: the town's dispatch projections and reactions (faust agents) and its outbox relay."""

from __future__ import annotations

from dispatch.bootstrap import DISPATCH
from dispatch.settings import DispatchSettings
from downtown_events.runtime.service import run_service_worker


def main() -> None:
    run_service_worker(DISPATCH, DispatchSettings())  # type: ignore[call-arg]
