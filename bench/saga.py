# SPDX-License-Identifier: AGPL-3.0-or-later
"""The order saga: sustained orders per second and checkout-to-confirmed latency, against
the floor Kafka itself sets for the same number of hops.

A bench town runs catalog, vouchers and ordering as they do in production (separate API
and worker processes, the real broker and database, ordering mailing a real SMTP server on
loopback). A few shops list one product each with stock for every order. Then customers
(``--clients`` at once, each waiting for its order's confirmation before the next; or
``--rate`` new customers a second, whatever is still in flight) each open a fresh basket,
put one line in it and check out for pickup at the shop, paid there (so vouchers has no
part in the order).

**Merchants auto-accept**: the bench consumes ``<town>.ordering.events`` and, as soon as it
sees an ``OrderPlaced``, POSTs ``/orders/{id}/accept`` with that merchant's token, as a
merchant's app listening to the town's events would.

**Checkout → confirmed** runs from the start of the checkout POST to the moment the bench's
consumer sees ``OrderConfirmed`` for that order on the topic. The topic is the integrators'
view: an order is confirmed for the town when its event is published, not when ordering's
database says so. **Orders/s** is the confirmed orders over the wall time from the first
checkout to the last confirmation. A few warm-up orders go first and are not counted.

**The floor**: in the same run, on the same broker, one record at a time (an
``OrderConfirmed`` CloudEvent, headers and all) is sent by a producer with the runtime's own
settings (``reliable_producer``: acks=all, idempotent, linger 2 ms) to a topic with the
town's partitions and read by a consumer polling as faust's does (``getmany``, fetch wait
1.5 s, no auto-commit); the send-to-receive times' p50/p99, half measured before the saga
and half after, times the saga's hops on the critical path. Those hops, counted honestly:

1. ordering's relay publishes ``OrderPlaced`` (written with the order by the checkout) →
   the catalog's worker consumes it and reserves the stock;
2. the catalog's relay publishes ``OrderReservationMade`` → ordering's worker consumes it
   and, the merchant's acceptance having arrived meanwhile, confirms the order;
3. ordering's relay publishes ``OrderConfirmed`` → the bench consumes it.

The merchant's acceptance runs beside hops 1 and 2, not after them: the bench consumes the
same ``OrderPlaced`` (a hop of its own, in parallel with hop 1) and answers by HTTP while the
catalog reserves. Whichever of the two arrives last confirms the order, so the critical path
is three hops (and, when the acceptance is the later one, one hop plus an HTTP call before
the third). The floor leaves out everything else the saga does on the way — each
consumer's database transaction with its tracking row, each relay's NOTIFY wake-up and outbox
read, the HTTP checkout itself, and the CPU all of it takes from the others on the same
machine — and that is what the ratio p99 / floor p99 (aim ≤ 5) measures.

The customers keep their HTTP connection alive, one client per customer thread, as a
browser does: a client per request built an SSL context each time, which on two cores took
a third of the machine and sat inside every timed checkout POST.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.report import Figure, Target, percentile, rate, say
from bench.scratch import KAFKA, delete_topics, random_town, scratch_database
from downtown_events.contract import InvalidEventData, UnknownEventType
from downtown_events.envelope import CloudEvent
from downtown_events.ordering import OrderConfirmed, OrderPlaced, OrderRejected
from downtown_events.runtime.kafka import ensure_topics, reliable_producer, topic_partitions
from downtown_events.topics import event_source, events_topic
from tests.support.local_stack import RunningTown, start_town
from tests.support.mailbox import running_mailbox
from tests.support.ordering_client import (
    UNLIMITED_GUEST_CHECKOUTS,
    GuestBasket,
    Shop,
    check_out,
    open_basket,
    open_shop,
    pickup,
    put,
)

BENCHMARK = "saga"
SERVICES = ["catalog", "vouchers", "ordering"]
HOPS = 3
PARTITIONS = 3  # what tests.support.local_stack gives a town's topics
WARM_UP = 5
GIVE_UP_SECONDS = 60.0
PROGRESS_SECONDS = 5.0
PRODUCT = "Bienenwachskerze"
PHOTO_SAMPLES = Path(__file__).resolve().parent.parent / "services" / "catalog" / "tests" / "unit"
SHOP_NAMES = ["Kerzenzieherei Licht", "Imkerei Wabe", "Hofladen Sonnenhof", "Drogerie am Markt", "Blumen Rosi"]


# --- the floor: one bare Kafka hop -------------------------------------------------------


def _floor_record(town: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """An ``OrderConfirmed`` as the relay sends it: key, JSON value and CloudEvents headers."""
    order_id = uuid.uuid4()
    data = OrderConfirmed(order_id=order_id, merchant_id=uuid.uuid4()).model_dump_json().encode()
    envelope = CloudEvent(
        id=str(uuid.uuid4()),
        source=event_source(town, "ordering"),
        type=OrderConfirmed.ce_type(),
        subject=str(order_id),
        time=datetime.now(UTC),
        town=town,
        streamversion=3,
        data=data,
        traceparent=f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01",
    )
    return envelope.to_kafka()


def _faust_like_consumer(client_id: str) -> AIOKafkaConsumer:
    """Polled as faust's worker consumer is (its aiokafka driver's settings that bear on latency)."""
    return AIOKafkaConsumer(
        bootstrap_servers=KAFKA,
        client_id=client_id,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=1500,
    )


async def _assign_all(consumer: AIOKafkaConsumer, topic: str) -> None:
    partitions = await topic_partitions(KAFKA, topic)
    consumer.assign([TopicPartition(topic, partition) for partition in partitions])


async def measure_floor(town: str, messages: int) -> list[float]:
    """Seconds from each send to its receipt, one record in flight at a time."""
    topic = events_topic(town, "bench")
    await ensure_topics(KAFKA, town, "bench", partitions=PARTITIONS)
    producer = reliable_producer(KAFKA, client_id=f"{town}-bench-floor")
    consumer = _faust_like_consumer(f"{town}-bench-floor")
    await producer.start()
    await consumer.start()
    arrivals: dict[bytes, asyncio.Future[float]] = {}

    async def receive() -> None:
        while True:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    waiting = arrivals.pop(record.key, None)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(time.perf_counter())

    try:
        await _assign_all(consumer, topic)
        receiving = asyncio.create_task(receive())
        round_trips: list[float] = []
        try:
            for number in range(messages + WARM_UP):
                key, value, headers = _floor_record(town)
                arrival = arrivals[key] = asyncio.get_running_loop().create_future()
                sent = time.perf_counter()
                await producer.send(topic, value=value, key=key, headers=headers)
                received = await asyncio.wait_for(arrival, 30)
                if number >= WARM_UP:  # the first ones find connections and metadata to set up
                    round_trips.append(received - sent)
                await asyncio.sleep(0.005)  # let the consumer's next fetch be parked at the broker, as in the saga
        finally:
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await receiving
        return round_trips
    finally:
        await consumer.stop()
        await producer.stop()


# --- the merchants' app and the confirmations, from the ordering topic --------------------


@dataclass
class Watcher:
    """Reads ``<town>.ordering.events``: accepts each placed order as its merchant, and
    notes when each order's ``OrderConfirmed`` (or ``OrderRejected``) is seen."""

    town: RunningTown
    merchants: dict[str, dict[str, str]]
    """Auth headers by merchant id."""
    outcomes: dict[str, asyncio.Future[tuple[str, float]]] = field(default_factory=dict)
    accept_failures: list[str] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def outcome(self, order_id: str) -> asyncio.Future[tuple[str, float]]:
        """Resolves to ("confirmed" or a rejection reason, when it was seen)."""
        if order_id not in self.outcomes:
            self.outcomes[order_id] = asyncio.get_running_loop().create_future()
        return self.outcomes[order_id]

    async def run(self, consumer: AIOKafkaConsumer, http: httpx.AsyncClient) -> None:
        while True:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                seen = time.perf_counter()
                for record in records:
                    self._on(CloudEvent.from_kafka(record.key, record.value, record.headers), seen, http)

    def _on(self, envelope: CloudEvent, seen: float, http: httpx.AsyncClient) -> None:
        try:
            event = envelope.decode()
        except (UnknownEventType, InvalidEventData):
            return  # a type this reader does not know yet is not one the bench waits for
        match event:
            case OrderPlaced(order_id=order_id, merchant_id=merchant_id):
                task = asyncio.create_task(self._accept(http, str(order_id), str(merchant_id)))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            case OrderConfirmed(order_id=order_id):
                self._settle(str(order_id), "confirmed", seen)
            case OrderRejected(order_id=order_id, reason=reason):
                self._settle(str(order_id), reason, seen)

    def _settle(self, order_id: str, outcome: str, seen: float) -> None:
        future = self.outcome(order_id)
        if not future.done():
            future.set_result((outcome, seen))

    async def _accept(self, http: httpx.AsyncClient, order_id: str, merchant_id: str) -> None:
        auth = self.merchants.get(merchant_id)
        if auth is None:
            return  # not one of the bench's shops
        for attempt in range(5):
            try:
                response = await http.post(f"/orders/{order_id}/accept", headers=auth)
            except httpx.HTTPError as error:
                answer = repr(error)
            else:
                if response.status_code == 200:
                    return
                answer = f"{response.status_code} {response.text[:200]}"
                if response.status_code < 500 and response.status_code != 409:
                    break
            await asyncio.sleep(0.05 * (attempt + 1))
        self.accept_failures.append(f"{order_id}: {answer}")


@contextlib.asynccontextmanager
async def watching(town: RunningTown, shops: list[Shop]) -> AsyncIterator[Watcher]:
    consumer = _faust_like_consumer(f"{town.town}-bench-merchants")
    await consumer.start()
    watcher = Watcher(town, {shop.merchant_id: shop.auth for shop in shops})
    try:
        await _assign_all(consumer, events_topic(town.town, "ordering"))
        async with httpx.AsyncClient(base_url=town["ordering"].api, timeout=30) as http:
            task = asyncio.create_task(watcher.run(consumer, http))
            try:
                yield watcher
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        await consumer.stop()


# --- customers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    started: float
    checked_out: float
    settled: float
    outcome: str

    @property
    def latency(self) -> float:
        return self.settled - self.started


class KeptAlive:
    """An HTTP client per customer thread, its connection kept alive as a browser keeps it.

    A client per request (``httpx.post``) builds an SSL context each time: on two cores that
    took a third of the machine and sat inside every timed checkout POST."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    def __call__(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(timeout=30)
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()


@dataclass
class Customers:
    """Checkouts through the tests' shop client (a fresh basket, one line, pickup)."""

    town: RunningTown
    shops: list[Shop]
    watcher: Watcher
    executor: ThreadPoolExecutor
    http: KeptAlive
    samples: list[Sample] = field(default_factory=list)
    checked_out: int = 0
    timed_out: int = 0

    def _open_basket(self) -> GuestBasket:
        return open_basket(self.town, http=self.http())

    def _put(self, basket: GuestBasket, offer_id: str) -> httpx.Response:
        return put(self.town, basket, offer_id, http=self.http())

    def _check_out(self, basket: GuestBasket, merchant_id: str) -> httpx.Response:
        return check_out(self.town, basket, {merchant_id: pickup()}, http=self.http())

    async def order(self, number: int) -> Sample | None:
        loop = asyncio.get_running_loop()
        shop = self.shops[number % len(self.shops)]
        basket = await loop.run_in_executor(self.executor, self._open_basket)
        line = await loop.run_in_executor(self.executor, self._put, basket, shop.offers[PRODUCT])
        if line.status_code != 200:
            raise RuntimeError(f"putting the line in the basket failed: {line.status_code} {line.text}")
        started = time.perf_counter()
        answer = await loop.run_in_executor(self.executor, self._check_out, basket, shop.merchant_id)
        checked_out = time.perf_counter()
        if answer.status_code != 201:
            raise RuntimeError(f"checkout failed: {answer.status_code} {answer.text}")
        self.checked_out += 1
        (order,) = answer.json()["orders"]
        try:
            outcome, settled = await asyncio.wait_for(self.watcher.outcome(order["order_id"]), GIVE_UP_SECONDS)
        except TimeoutError:
            self.timed_out += 1
            return None
        return Sample(started, checked_out, settled, outcome)

    async def closed_loop(self, orders: int, clients: int) -> None:
        """``clients`` customers, each checking out again once its order is confirmed."""
        numbers = iter(range(orders))

        async def customer() -> None:
            for number in numbers:  # shared: each order is taken by one customer
                sample = await self.order(number)
                if sample is not None:
                    self.samples.append(sample)

        await asyncio.gather(*(customer() for _ in range(clients)))

    async def open_loop(self, orders: int, per_second: float) -> None:
        """A new customer every ``1 / per_second`` seconds, however many are still waiting."""
        begun = time.perf_counter()
        pending = []
        for number in range(orders):
            pending.append(asyncio.create_task(self.order(number)))
            await asyncio.sleep(max(0.0, begun + (number + 1) / per_second - time.perf_counter()))
        self.samples += [sample for sample in await asyncio.gather(*pending) if sample is not None]


async def _progress(customers: Customers, total: int) -> None:
    while True:
        await asyncio.sleep(PROGRESS_SECONDS)
        confirmed = [s.latency for s in customers.samples if s.outcome == "confirmed"]
        recent = confirmed[-50:]
        latest = f"; last {len(recent)}: p50 {percentile(recent, 0.5) * 1000:.0f} ms" if recent else ""
        say(
            f"  {customers.checked_out}/{total} checked out, {len(confirmed)} confirmed, "
            f"{len(customers.samples) - len(confirmed)} rejected, {customers.timed_out} given up{latest}"
        )


@dataclass(frozen=True)
class SagaResult:
    samples: list[Sample]
    timed_out: int
    accept_failures: list[str]


async def _warm_up(customers: Customers) -> None:
    """A few orders one after another, not counted; none confirmed means the saga is broken."""
    for number in range(WARM_UP):
        sample = await customers.order(number)
        if sample is None or sample.outcome != "confirmed":
            outcome = f"not confirmed within {GIVE_UP_SECONDS:.0f} s" if sample is None else sample.outcome
            raise RuntimeError(
                f"a warm-up order was {outcome} (is the catalog's reservation consumer there?)\n"
                + _tails(customers.town)
            )
        say(f"  warm-up order {number + 1}/{WARM_UP} confirmed in {sample.latency * 1000:.0f} ms")


async def measure_saga(town: RunningTown, shops: list[Shop], options: argparse.Namespace) -> SagaResult:
    threads = options.clients if options.rate is None else 64
    http = KeptAlive()
    with ThreadPoolExecutor(threads, thread_name_prefix="customer") as executor, contextlib.closing(http):
        async with watching(town, shops) as watcher:
            await _warm_up(Customers(town, shops, watcher, executor, http))
            customers = Customers(town, shops, watcher, executor, http)
            progress = asyncio.create_task(_progress(customers, options.orders))
            try:
                if options.rate is None:
                    await customers.closed_loop(options.orders, options.clients)
                else:
                    await customers.open_loop(options.orders, options.rate)
            finally:
                progress.cancel()
            return SagaResult(customers.samples, customers.timed_out, list(watcher.accept_failures))


def _tails(town: RunningTown) -> str:
    return "\n".join(instance.log_tails() for instance in town.services.values())


# --- the run --------------------------------------------------------------------------------


@contextlib.contextmanager
def bench_town(town: str) -> Iterator[RunningTown]:
    """Catalog, vouchers and ordering for ``town``, each with a scratch database; ordering
    mails a real SMTP server on loopback. Processes stopped and databases dropped at the end."""
    with contextlib.ExitStack() as stack:
        urls = {service: stack.enter_context(scratch_database()) for service in SERVICES}
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"{town}-")))
        mailbox = stack.enter_context(running_mailbox())
        ordering = {**mailbox.env, **UNLIMITED_GUEST_CHECKOUTS}
        running = start_town(town, SERVICES, urls.__getitem__, workdir, {"ordering": ordering})
        stack.callback(running.stop)
        yield running


def _open_shops(town: RunningTown, count: int, stock: int) -> list[Shop]:
    sys.path.insert(0, str(PHOTO_SAMPLES))  # list_product draws its photo with photo_samples
    return [open_shop(town, SHOP_NAMES[index % len(SHOP_NAMES)], {PRODUCT: ("4,50", stock)}) for index in range(count)]


async def _measure(town: RunningTown, shops: list[Shop], options: argparse.Namespace) -> tuple[list[float], SagaResult]:
    half = options.floor_messages // 2
    say(f"  floor: {half} bare produce → consume round trips before the saga")
    floor = await measure_floor(town.town, half)
    load = (
        f"{options.clients} customers at once, each waiting for its confirmation"
        if options.rate is None
        else f"{options.rate:g} new customers a second"
    )
    say(f"  saga: {options.orders} orders across {len(shops)} shops, {load}")
    saga = await measure_saga(town, shops, options)
    say(f"  floor: {options.floor_messages - half} more round trips after the saga")
    floor += await measure_floor(town.town, options.floor_messages - half)
    return floor, saga


def run(options: argparse.Namespace) -> list[Figure]:
    town = random_town()
    try:
        say(f"saga: starting catalog, vouchers and ordering (API and worker each) for town {town}")
        with bench_town(town) as running:
            say(f"  ready; opening {options.shops} shops")
            shops = _open_shops(running, options.shops, stock=options.orders + WARM_UP + 10)
            floor, saga = asyncio.run(_measure(running, shops, options))
    finally:
        asyncio.run(delete_topics(town))
    return _figures(floor, saga, options)


def _figures(floor: list[float], saga: SagaResult, options: argparse.Namespace) -> list[Figure]:
    confirmed = [sample for sample in saga.samples if sample.outcome == "confirmed"]
    others = len(saga.samples) - len(confirmed)
    if others or saga.timed_out or saga.accept_failures:
        say(
            f"  not counted: {others} rejected, {saga.timed_out} unconfirmed after {GIVE_UP_SECONDS:.0f} s, "
            f"{len(saga.accept_failures)} acceptances refused {saga.accept_failures[:3]}"
        )
    if not confirmed:
        raise RuntimeError("no order was confirmed")
    latencies = [sample.latency for sample in confirmed]
    posts = [sample.checked_out - sample.started for sample in confirmed]
    after = [sample.settled - sample.checked_out for sample in confirmed]  # the Kafka part, roughly
    wall = max(sample.settled for sample in confirmed) - min(sample.started for sample in saga.samples)
    p99, floor_p99 = percentile(latencies, 0.99), percentile(floor, 0.99) * HOPS
    say(
        f"  one bare hop: p50 {percentile(floor, 0.5) * 1000:.1f} ms, p99 {percentile(floor, 0.99) * 1000:.1f} ms "
        f"({len(floor)} records); {len(confirmed)} orders confirmed in {wall:.1f} s"
    )
    load = f"{options.clients} at once" if options.rate is None else f"{options.rate:g}/s offered"
    return [
        Figure(BENCHMARK, f"orders confirmed per second, {load}", rate(len(confirmed), wall), "orders/s"),
        Figure(BENCHMARK, "checkout POST p50", percentile(posts, 0.5) * 1000, "ms"),
        Figure(BENCHMARK, "checkout POST p99", percentile(posts, 0.99) * 1000, "ms"),
        Figure(BENCHMARK, "checkout answered → confirmed p50", percentile(after, 0.5) * 1000, "ms"),
        Figure(BENCHMARK, "checkout answered → confirmed p99", percentile(after, 0.99) * 1000, "ms"),
        Figure(BENCHMARK, "checkout → confirmed on the topic p50", percentile(latencies, 0.5) * 1000, "ms"),
        Figure(BENCHMARK, "checkout → confirmed on the topic p99", p99 * 1000, "ms"),
        Figure(
            BENCHMARK, f"floor: bare produce → consume p50 × {HOPS} hops", percentile(floor, 0.5) * HOPS * 1000, "ms"
        ),
        Figure(BENCHMARK, f"floor: bare produce → consume p99 × {HOPS} hops", floor_p99 * 1000, "ms"),
        Figure(BENCHMARK, "saga p99 / floor p99", p99 / floor_p99, "ratio", Target(5, at_least=False)),
    ]
