# SPDX-License-Identifier: Apache-2.0
"""A service's worker: one faust app whose agents feed :class:`TrackingConsumer` s.

Why faust here and how its traps are avoided (see ``docs/decisions.md``):

- agents read in batches (per-event agents are ~10x slower), taken as soon as the agent is
  free rather than after faust's ``take_events`` window (see ``faust_batches``);
- ``concurrency=1`` per agent: higher concurrency commits past in-flight messages;
- faust acks a batch when the agent asks for the next one, and would also ack a batch
  whose agent raised. The agent therefore never raises: ``TrackingConsumer.process``
  returns only after the batch is committed to PostgreSQL (retrying outages) or
  dead-lettered, so an ack always follows the durable effect;
- records are taken raw (bytes) and decoded by the runtime, so a poison message reaches
  the dead-letter topic instead of faust's decoder.

The worker also serves ``/healthz/live`` and ``/healthz/ready`` on its faust web port,
and runs the service's outbox relay as a long-lived task. That port is reachable by anyone
who reaches the pod (Kubernetes' probes must), so it serves nothing else to anyone: faust's
own views (``/router/``, ``/table/`` with the tables' data, ``/graph/``, statistics) are
switched off and anything not on the worker's list is a 404, and ``/figures/live`` asks for
the association's token, as the API's figures do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, NoReturn, TypeVar

import faust
from aiohttp import web as aiohttp_web
from aiokafka import AIOKafkaClient
from aiokafka.errors import KafkaError
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from downtown_events.envelope import InvalidEnvelope
from downtown_events.runtime import telemetry
from downtown_events.runtime.consumer import TrackingConsumer
from downtown_events.runtime.failures import ConsumerHalted
from downtown_events.runtime.faust_batches import ready_batches
from downtown_events.runtime.health import Readiness, halted_consumers
from downtown_events.runtime.identity import TownAuthenticator
from downtown_events.runtime.live_figures import CHANGELOG_CONFIG, KEPT, WINDOW, LiveFigure, counted_once, table_key
from downtown_events.runtime.live_figures import page as live_figures_page
from downtown_events.runtime.principal import InvalidToken, NotPermitted
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent, decode_record

log = logging.getLogger(__name__)


T = TypeVar("T")
HEALTH_PAGES = ("/healthz/live", "/healthz/ready")
LIVE_FIGURES_PAGE = "/figures/live"
PROBLEM_JSON = "application/problem+json"


class Lazy(Generic[T]):
    """A resource built on first use, inside faust's event loop (pools and producers must
    be created in the loop that uses them), shared afterwards, and closed at shutdown."""

    def __init__(self, build: Callable[[], Awaitable[T]], close: Callable[[T], Awaitable[None]] | None = None) -> None:
        self._build = build
        self._close = close
        self._lock = asyncio.Lock()
        self._built: list[T] = []

    async def __call__(self) -> T:
        async with self._lock:
            if not self._built:
                self._built.append(await self._build())
        return self._built[0]

    async def close(self) -> None:
        if self._built and self._close is not None:
            await self._close(self._built.pop())


@dataclass(frozen=True)
class Subscription:
    """One agent: which topic it reads, into which consumer (built lazily, see :class:`Lazy`)."""

    topic: str
    consumer: Callable[[], Awaitable[TrackingConsumer]]
    name: str
    batch_size: int = 1000
    linger_seconds: float = 0.0
    """How long a batch waits after its first event for more (see ``faust_batches``)."""


def build_worker_app(
    *,
    app_id: str,
    bootstrap: str,
    web_port: int,
    data_dir: Path,
    subscriptions: Sequence[Subscription],
    readiness: Callable[[], Awaitable[Readiness]],
    background: Sequence[Callable[[asyncio.Event], Awaitable[None]]] = (),
    resources: Sequence[Lazy[Any]] = (),
    replication: int = 1,
    live: LiveFigures | None = None,
) -> faust.App:
    """The worker app; ``resources`` are closed, in order, when it shuts down."""
    data_dir.mkdir(parents=True, exist_ok=True)  # faust creates only the last level
    app = faust.App(
        app_id,
        broker=[f"kafka://{host}" for host in bootstrap.split(",")],
        store="memory://",
        value_serializer="raw",
        key_serializer="raw",
        consumer_auto_offset_reset="earliest",
        topic_disable_leader=True,
        topic_replication_factor=replication,
        topic_allow_declare=False,
        web_enabled=True,
        web_port=web_port,
        web_bind="0.0.0.0",  # Kubernetes probes the pod's address; what is served is listed below
        # faust's own views show the cluster's members, the tables' contents (/table/ reads any
        # key), the worker's internals: none is for whoever reaches the port.
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        web_metrics_enabled=False,
        stream_wait_empty=False,
        # A worker that dies without leaving the group (SIGKILL, a lost node) holds its
        # partitions until its session expires: 10 s, not faust's 60 s.
        broker_session_timeout=10.0,
        # A worker that joins its group while the broker is still loading its logs (a broker
        # restart) is assigned no partition of a topic the metadata does not show yet, and
        # rejoins only when its metadata next changes: after faust's 5 minutes it missed
        # catalog's events that long. Every 10 s it learns of them and rejoins at once.
        consumer_metadata_max_age_ms=10_000,
        datadir=str(data_dir / app_id),  # faust's own files; it would use the working directory
    )
    for subscription in subscriptions:
        _add_agent(app, subscription)
        app.task(subscription.consumer)  # build consumers (and their tables) at start, not on the first event
    _add_health_pages(app, readiness)
    pages = list(HEALTH_PAGES)
    if live is not None and live.figures:
        _add_live_figures(app, live)
        pages.append(LIVE_FIGURES_PAGE)
    _serve_only(app, frozenset(pages))
    stop = asyncio.Event()
    for task in background:
        _add_background(app, task, stop)

    @app.on_before_shutdown.connect
    async def _shut_down(*_: Any, **__: Any) -> None:
        stop.set()
        for resource in resources:
            await resource.close()

    return app


def _add_agent(app: faust.App, subscription: Subscription) -> None:
    topic = app.topic(
        subscription.topic, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )

    async def agent(stream: faust.StreamT[Any]) -> None:
        async for events in ready_batches(stream, subscription.batch_size, linger_seconds=subscription.linger_seconds):
            await _process_until_done(subscription, [_record(event.message) for event in events])
            _report_lag(app, subscription.name, events[-1].message)

    app.agent(topic, name=subscription.name, concurrency=1)(agent)


async def _process_until_done(subscription: Subscription, records: list[KafkaRecord]) -> None:
    """The agent's safety net: faust acks a batch once the agent moves on *or raises*, so
    nothing may escape here. Whatever fails unexpectedly (the database gone at start-up,
    a bug) is logged and the same batch is tried again, never skipped."""
    delay = 0.5
    while True:
        try:
            consumer = await subscription.consumer()
            await consumer.process(records)
            halted_consumers.pop(subscription.name, None)
            return
        except asyncio.CancelledError:
            raise
        except ConsumerHalted as halted:
            halted_consumers[subscription.name] = str(halted)
            log.error("%s; retrying the same batch in %.0fs (see /healthz/ready)", halted, delay)
        except Exception:
            log.exception("%s could not process a batch; retrying in %.1fs", subscription.name, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 30.0)


def _record(message: Any) -> KafkaRecord:
    return KafkaRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=list(message.headers or []),
    )


def _report_lag(app: faust.App, consumer: str, message: Any) -> None:
    highwater = app.consumer.highwater(message.tp)
    if highwater is not None:
        telemetry.consumer_lag.set(
            max(highwater - message.offset - 1, 0),
            {"consumer": consumer, "topic": message.topic, "partition": message.partition},
        )


@dataclass(frozen=True)
class LiveFigures:
    """Figures counted live from ``topic`` (see ``live_figures``), in tables partitioned like it,
    shown to the association (``authenticator`` knows its token)."""

    topic: str
    town: str
    partitions: int
    figures: Sequence[LiveFigure]
    authenticator: TownAuthenticator


def _add_live_figures(app: faust.App, live: LiveFigures) -> None:
    """One agent counts every figure into its windowed table; ``/figures/live`` shows them."""
    tables = {
        figure: app.Table(
            figure.table_name,
            default=dict,
            partitions=live.partitions,
            # The app's records are raw bytes; the tables' own changelog records are JSON.
            schema=faust.Schema(key_serializer="json", value_serializer="json"),
            extra_topic_configs=CHANGELOG_CONFIG,
        )
        .tumbling(WINDOW, expires=KEPT)
        .relative_to_stream()
        for figure in live.figures
    }
    reads = frozenset().union(*(figure.reads() for figure in live.figures))
    topic = app.topic(live.topic, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")

    async def count(stream: faust.StreamT[Any]) -> None:
        async for event in stream.events():
            try:
                decoded = decode_record(_record(event.message), live.town, reads)
            except InvalidEnvelope:
                continue  # the projections' consumers dead-letter it
            if not isinstance(decoded, ReceivedEvent):
                continue
            for figure, table in tables.items():
                if isinstance(decoded.event, figure.counts):
                    key = table_key(figure, event.message.partition)
                    counted = counted_once(table[key].current(), figure.amount(decoded.event), event.message.offset)
                    if counted is not None:
                        table[key] = counted

    app.agent(topic, name="live-figures", concurrency=1)(count)

    @app.page(LIVE_FIGURES_PAGE)
    async def figures(web: Any, request: Any) -> Any:
        refused = _refused(live.authenticator, request.headers.get("Authorization"))
        if refused is not None:
            status, title, detail = refused
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return web.bytes(_problem(status, title, detail), status=status, content_type=PROBLEM_JSON, headers=headers)
        held = [tp.partition for tp in app.assignor.assigned_actives() if tp.topic == live.topic]
        entries = {figure: list(table.table.data.items()) for figure, table in tables.items()}
        return web.json(live_figures_page(entries, held, datetime.now(UTC)))


def _refused(authenticator: TownAuthenticator, authorization: str | None) -> tuple[int, str, str] | None:
    """Why the caller may not see the live figures (status, title, detail), or None: they are
    the association's, like the API's audited ``/figures``."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return 401, "Not authenticated", "send 'Authorization: Bearer <token>' (the association's)"
    try:
        authenticator.authenticate(token.strip()).association()
    except InvalidToken as error:
        return 401, "Not authenticated", str(error)
    except NotPermitted as error:
        return 403, "Not allowed", error.reason
    return None


def _problem(status: int, title: str, detail: str) -> bytes:
    """An RFC 9457 problem, as the API answers one (JSON is UTF-8: no charset parameter)."""
    return json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()


def _serve_only(app: faust.App, pages: frozenset[str]) -> None:
    """Answer 404 to every path but ``pages``, whatever faust itself would serve there: its
    views are switched off above, and a view a later faust adds stays unserved too."""

    @aiohttp_web.middleware
    async def only_the_workers_pages(request: aiohttp_web.Request, handler: Any) -> aiohttp_web.StreamResponse:
        if request.path not in pages:
            detail = f"this port serves {', '.join(sorted(pages))} only"
            return aiohttp_web.Response(body=_problem(404, "Not found", detail), status=404, content_type=PROBLEM_JSON)
        response: aiohttp_web.StreamResponse = await handler(request)
        return response

    server = app.web
    if not isinstance(server, AiohttpWeb):  # faust's default driver; another would need its own guard
        raise TypeError(f"the worker's web server must be faust's aiohttp driver, not {type(server).__name__}")
    server.web_app.middlewares.append(only_the_workers_pages)


def _add_health_pages(app: faust.App, readiness: Callable[[], Awaitable[Readiness]]) -> None:
    @app.page("/healthz/live")
    async def live(web: Any, request: Any) -> Any:
        return web.json({"status": "live"})

    @app.page("/healthz/ready")
    async def ready(web: Any, request: Any) -> Any:
        ok, checks = await (await readiness()).check()
        return web.json({"status": "ready" if ok else "not ready", "checks": checks}, status=200 if ok else 503)


def _add_background(app: faust.App, task: Callable[[asyncio.Event], Awaitable[None]], stop: asyncio.Event) -> None:
    async def run() -> None:
        while not stop.is_set():
            try:
                await task(stop)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background task %s crashed; restarting in 2s", getattr(task, "__name__", task))
                await asyncio.sleep(2)

    app.task(run)


RESTARTS_IN_A_ROW = "DOWNTOWN_WORKER_RESTARTS"
"""How many times in a row this worker process has started again (its backoff grows with it)."""
STEADY_SECONDS = 60.0
"""A run this long counts as a success: the next restart's pause starts small again."""


def run_worker(app: faust.App, log_level: str = "info", *, bootstrap: str | None = None) -> None:
    """Run until SIGTERM/SIGINT, the way Kubernetes stops a pod.

    Faust ends the process whenever its app stops by itself: when the broker cannot be
    reached while the app starts (its producer's bootstrap fails at once, as after a
    broker restart), or when a service of faust's crashes. Nobody asked it to stop, so the
    worker waits for the broker and starts again, in the same process (``exec``: the same
    pid for a supervisor, nothing of faust's state carried over), after a pause that
    grows with each restart in a row, as Kubernetes restarts a crashed container.
    """
    if bootstrap is not None:
        wait_for_broker(bootstrap)
    started = time.monotonic()
    # override_logging=False keeps the JSON logs (with trace ids) set up by telemetry.
    worker = faust.Worker(app, loglevel=log_level.lower(), quiet=True, redirect_stdouts=False, override_logging=False)
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        if getattr(worker, "_signal_stop_time", None):  # mode sets it when SIGTERM/SIGINT arrived
            raise
        _start_again(exit_.code, ran_for=time.monotonic() - started)
    except KeyboardInterrupt:
        raise


def _start_again(code: object, *, ran_for: float) -> NoReturn:
    restarts = 0 if ran_for >= STEADY_SECONDS else int(os.environ.get(RESTARTS_IN_A_ROW, "0"))
    pause = min(2.0**restarts, 30.0)
    log.error("the worker stopped by itself (exit %s after %.0f s); starting again in %.0f s", code, ran_for, pause)
    logging.shutdown()
    time.sleep(pause)
    os.environ[RESTARTS_IN_A_ROW] = str(restarts + 1)
    os.execv(sys.executable, sys.orig_argv)


def wait_for_broker(bootstrap: str, *, most_seconds: float = 10.0) -> None:
    """Block until the broker answers a metadata request, trying again with a growing pause.

    Asked in a loop of its own (closed afterwards), before faust makes the worker's loop."""
    delay, told = 0.5, False
    while True:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(_bootstrap(bootstrap))
            if told:
                log.info("the broker at %s answers; starting", bootstrap)
            return
        except (KafkaError, OSError) as error:
            if not told:
                log.warning("the broker at %s does not answer (%r); waiting for it", bootstrap, error)
                told = True
        finally:
            loop.close()
        time.sleep(delay)
        delay = min(delay * 2, most_seconds)


async def _bootstrap(bootstrap: str) -> None:
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await client.bootstrap()
    finally:
        await client.close()
