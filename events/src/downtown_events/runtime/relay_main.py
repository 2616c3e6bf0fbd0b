# SPDX-License-Identifier: Apache-2.0
"""``downtown-relay``: run a service's outbox relay on its own (the worker also runs one).

Several may run; one publishes, the others stand by (advisory lock). ``--check`` is its
readiness probe (database, the runtime's migrations, broker): exit 0 when ready.
"""

from __future__ import annotations

import asyncio
import json
import signal

import typer

from downtown_events.runtime import telemetry
from downtown_events.runtime.database import open_pool
from downtown_events.runtime.health import Readiness
from downtown_events.runtime.kafka import reliable_producer
from downtown_events.runtime.outbox import OutboxRelay
from downtown_events.runtime.settings import RuntimeSettings


async def run_relay(settings: RuntimeSettings, service: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    pool = await open_pool(settings.database_url, max_size=2, name=f"{service}-relay")
    producer = reliable_producer(settings.kafka_bootstrap, client_id=f"{settings.town}-{service}-relay")
    await producer.start()
    try:
        await OutboxRelay(pool, producer, town=settings.town, service=service).run(stop)
    finally:
        await producer.stop()
        await pool.close()


async def check_ready(settings: RuntimeSettings) -> bool:
    pool = await open_pool(settings.database_url, max_size=1, name="relay-check")
    try:
        ready, checks = await Readiness(pool, settings.database_url, settings.kafka_bootstrap, []).check()
    finally:
        await pool.close()
    typer.echo(json.dumps({"status": "ready" if ready else "not ready", "checks": checks}))
    return ready


def main(
    service: str = typer.Option(..., help="the service whose outbox to relay"),
    check: bool = typer.Option(False, "--check", help="only check readiness (for a probe) and exit"),
) -> None:
    settings = RuntimeSettings()  # type: ignore[call-arg]
    if check:
        raise typer.Exit(0 if asyncio.run(check_ready(settings)) else 1)
    telemetry.setup_telemetry(f"{service}-relay", settings.town, log_level=settings.log_level)
    asyncio.run(run_relay(settings, service))


def cli() -> None:
    typer.run(main)
