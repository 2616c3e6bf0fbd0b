# SPDX-License-Identifier: AGPL-3.0-or-later
"""Fixtures shared by every test tier: the real broker and database, fresh per test.

Integration and end-to-end tests run against the Kafka broker and PostgreSQL that
``make test`` starts (or those named by ``DOWNTOWN_TEST_KAFKA`` and
``DOWNTOWN_TEST_DATABASE_SERVER``). Each test gets a random town id, so its topics and
databases never collide with another test's or with ``make run``'s demo towns.
A missing broker or database fails the test; it is never skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from hypothesis import settings
from psycopg_pool import AsyncConnectionPool

from downtown_events.runtime.kafka import topic_partitions
from tests.support.local_stack import (
    KAFKA,
    SESSION_TOWNS,
    TOWNS_MADE,
    RunningTown,
    ServiceInstance,
    create_database,
    delete_topics_of,
    drop_database,
    random_town,
    running_catalog,
    start_town,
)
from tests.support.mailbox import Mailbox, running_mailbox
from tests.support.ordering_client import UNLIMITED_GUEST_CHECKOUTS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The folder decides the tier: tests under integration/ or e2e/ get that marker."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)


# Property tests explore new examples on every developer's run, and find what a fixed set
# would not (a wall time in the spring's missing hour did); CI (CI=true) runs the same
# examples every time, so a merge is never refused for an example nobody's change made.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


TEST_LOGS = Path(__file__).resolve().parent / ".downtown" / "test-logs"
"""Where a failed test's service logs are kept (CI keeps the clone's ``.downtown``)."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, object]:
    """When a test that ran service processes fails, keep their logs and show what they
    warned of: a process that died or stalled says why in its own log, not in the test's."""
    report = yield
    if getattr(report, "failed", False) and isinstance(report, pytest.TestReport):
        for instance in _service_instances(item):
            folder = TEST_LOGS / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:] / instance.service
            kept = instance.keep_logs(folder)
            report.sections.append((f"{instance.service} logs (kept in {folder})", _warnings(kept)))
    return report


def _service_instances(item: pytest.Item) -> list[ServiceInstance]:
    found: list[ServiceInstance] = []
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, RunningTown):
            found += value.services.values()
        elif isinstance(value, ServiceInstance):
            found.append(value)
    return found


def _warnings(logs: list[Path], most: int = 25) -> str:
    """The last warnings and errors of each log (JSON lines), each cut to one line."""
    shown = []
    for path in logs:
        lines = []
        for line in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                lines.append(line[:300])
                continue
            if isinstance(entry, dict) and entry.get("level") not in ("info", "debug"):
                lines.append(f"{entry.get('time', '')} {entry.get('level')} {entry.get('message', '')}"[:300])
        shown.append(f"--- {path.name}\n" + "\n".join(lines[-most:]))
    return "\n".join(shown)


@pytest.fixture
def town() -> str:
    return random_town()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return KAFKA


class Databases:
    """Creates throw-away databases on the test server and drops them at the end."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self, town: str, service: str = "test") -> str:
        name = f"test_{town}_{service}"
        url = create_database(name)
        self.created.append(name)
        return url

    def drop_all(self) -> None:
        for name in self.created:
            drop_database(name)


@pytest.fixture(scope="session")
def databases() -> Iterator[Databases]:
    """Every test town has databases, so this is also where the session's towns end: their
    databases dropped and their topics deleted (a broker that kept them recovered thousands of
    partitions after each crash test of a later run)."""
    created = Databases()
    yield created
    created.drop_all()
    delete_topics_of(TOWNS_MADE)


@pytest.fixture(scope="module", autouse=True)
def _topics_of_the_module_deleted() -> Iterator[None]:
    """The topics of the towns a module made go when the module ends (after its towns have
    stopped: an autouse fixture is set up before, so torn down after, the module's own). The
    broker then holds a few hundred partitions instead of the session's 1,500, and each broker
    restart of the crash tests recovered those for 10 of its 17 s."""
    before = set(TOWNS_MADE)
    yield
    done = TOWNS_MADE - before - SESSION_TOWNS
    if done:
        delete_topics_of(done)


@pytest.fixture
def database_url(databases: Databases, town: str) -> str:
    """A fresh, migrated database for this test's town."""
    from downtown_events.runtime.database import migrate

    url = databases.create(town)
    migrate(url)
    return url


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[AsyncConnectionPool]:
    from downtown_events.runtime.database import open_pool

    opened = await open_pool(database_url, max_size=4, name="test")
    yield opened
    await opened.close()


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    count: int,
    seconds: float = 30.0,
    until: Callable[[list[ConsumerRecord]], bool] | None = None,
) -> list[ConsumerRecord]:
    """Read a topic from the beginning until ``count`` records (or ``until``) or time out."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        partitions = await topic_partitions(bootstrap, topic)
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        deadline = asyncio.get_running_loop().time() + seconds
        while len(records) < count and not (until and until(records)):
            if asyncio.get_running_loop().time() > deadline:
                break
            for batch in (await consumer.getmany(timeout_ms=300)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


@pytest.fixture(scope="module")
def catalog(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceInstance]:
    """A running catalog for a random town, shared by the tests of one module."""
    town = random_town()
    with running_catalog(town, databases.create(town, "catalog"), tmp_path_factory.mktemp("catalog")) as instance:
        yield instance


@pytest.fixture(scope="module")
def catalog_and_vouchers(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTown]:
    """A random town running catalog and vouchers as separate processes, shared by one module."""
    town = random_town()
    running = start_town(
        town, ["catalog", "vouchers"], lambda service: databases.create(town, service), tmp_path_factory.mktemp("town")
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on loopback, for the whole session: what ordering sends arrives here."""
    with running_mailbox() as box:
        yield box


def start_ordering_town(
    databases: Databases,
    workdir: Path,
    mailbox: Mailbox,
    vouchers_env: dict[str, str] | None = None,
    **ordering_env: str,
) -> RunningTown:
    """A random town running catalog, vouchers and ordering as separate processes; ordering
    and the catalog (a merchant's sign-in link) mail to ``mailbox``."""
    town = random_town()
    env = {
        "catalog": dict(mailbox.env),
        "ordering": {**mailbox.env, "DOWNTOWN_TIMER_JOB_SECONDS": "1", **UNLIMITED_GUEST_CHECKOUTS, **ordering_env},
        "vouchers": vouchers_env or {},
    }
    return start_town(
        town, ["catalog", "vouchers", "ordering"], lambda service: databases.create(town, service), workdir, env
    )


@contextlib.contextmanager
def ordering_town_running(
    databases: Databases,
    workdir: Path,
    mailbox: Mailbox,
    vouchers_env: dict[str, str] | None = None,
    **ordering_env: str,
) -> Iterator[RunningTown]:
    """:func:`start_ordering_town` for the length of a ``with`` block (a module's own town,
    with its own settings: a short answer time, a short mail resend pause)."""
    running = start_ordering_town(databases, workdir, mailbox, vouchers_env, **ordering_env)
    try:
        yield running
    finally:
        running.stop()


def start_delivery_town(
    databases: Databases,
    workdir: Path,
    mailbox: Mailbox,
    dispatch_env: dict[str, str] | None = None,
    clock: Path | None = None,
) -> RunningTown:
    """A random town running all four services as separate processes (catalog, vouchers,
    ordering, dispatch): a checkout goes to the town's couriers once dispatch publishes terms.
    Dispatch replans every second, so a test never waits long for a tour. ``clock``: the
    town's clock file, read by every process (``DOWNTOWN_CLOCK_FILE``)."""
    town = random_town()
    services = ["catalog", "vouchers", "ordering", "dispatch"]
    clocked = {"DOWNTOWN_CLOCK_FILE": str(clock)} if clock else {}
    env: dict[str, dict[str, str]] = {service: dict(clocked) for service in services}
    env["ordering"].update({**mailbox.env, "DOWNTOWN_TIMER_JOB_SECONDS": "1", **UNLIMITED_GUEST_CHECKOUTS})
    # dispatch mails a courier's sign-in link there too (the web front's courier pages end-to-end)
    env["dispatch"].update({**mailbox.env, "DOWNTOWN_REPLAN_SECONDS": "1", **(dispatch_env or {})})
    env["catalog"].update(mailbox.env)  # and the catalog a merchant's (the browser journeys)
    return start_town(town, services, lambda service: databases.create(town, service), workdir, env)


@pytest.fixture(scope="session")
def delivery_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[RunningTown]:
    """The town the delivery end-to-end tests share (four services, eight processes, started
    once per session)."""
    running = start_delivery_town(databases, tmp_path_factory.mktemp("delivery-town"), mailbox)
    SESSION_TOWNS.add(running.town)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def ordering_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[RunningTown]:
    """The town the order saga's end-to-end tests share (started once per session: three
    services, six processes)."""
    with ordering_town_running(databases, tmp_path_factory.mktemp("ordering-town"), mailbox) as running:
        SESSION_TOWNS.add(running.town)
        yield running
