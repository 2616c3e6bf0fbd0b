"""Fixtures shared by every test tier: the real broker and database, fresh per test.

Integration and end-to-end tests run against the Kafka broker and PostgreSQL that
``make test`` starts (or those named by ``DOWNTOWN_TEST_KAFKA`` and
``DOWNTOWN_TEST_DATABASE_SERVER``). Each test gets a random town id, so its topics and
databases never collide with another test's or with ``make run``'s demo towns.
A missing broker or database fails the test; it is never skipped.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from downtown_events.runtime.kafka import topic_partitions

KAFKA = os.environ.get("DOWNTOWN_TEST_KAFKA", "127.0.0.1:19092")
DATABASE_SERVER = os.environ.get("DOWNTOWN_TEST_DATABASE_SERVER", "postgresql://downtown@127.0.0.1:15432/postgres")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The folder decides the tier: tests under integration/ or e2e/ get that marker."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)


def with_database(server_url: str, name: str) -> str:
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


def random_town() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


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
        with psycopg.connect(DATABASE_SERVER, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        return with_database(DATABASE_SERVER, name)

    def drop_all(self) -> None:
        with psycopg.connect(DATABASE_SERVER, autocommit=True) as conn:
            for name in self.created:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def databases() -> Iterator[Databases]:
    created = Databases()
    yield created
    created.drop_all()


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class CatalogInstance:
    """One town's catalog, running as it does in production: API and worker processes."""

    town: str
    api: str
    worker: str
    association_token: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: Path = Path()

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_ready(url: str, processes: list[subprocess.Popen[bytes]], logs: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError(f"a catalog process exited; see {logs}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {seconds}s; see {logs}")


def start_catalog(databases: Databases, town: str, tmp: Path) -> CatalogInstance:
    """Provision a town (database, topics, migrations) and start its API and worker."""
    bin_dir = Path(sys.executable).parent
    api_port, worker_port = free_port(), free_port()
    env = {
        **os.environ,
        "DOWNTOWN_TOWN": town,
        "DOWNTOWN_DATABASE_URL": databases.create(town, "catalog"),
        "DOWNTOWN_KAFKA_BOOTSTRAP": KAFKA,
        "DOWNTOWN_HTTP_PORT": str(api_port),
        "DOWNTOWN_WORKER_PORT": str(worker_port),
        "DOWNTOWN_PHOTO_DIR": str(tmp / "photos"),
        "DOWNTOWN_TOKEN_SECRET": f"test-secret-{town}-{uuid.uuid4().hex}",
        "DOWNTOWN_ASSOCIATION_TOKEN": f"association-{town}-{uuid.uuid4().hex}",
        "DOWNTOWN_TOPIC_PARTITIONS": "3",
    }
    subprocess.run([bin_dir / "catalog-admin", "provision"], env=env, check=True, capture_output=True)
    instance = CatalogInstance(
        town,
        f"http://127.0.0.1:{api_port}",
        f"http://127.0.0.1:{worker_port}",
        env["DOWNTOWN_ASSOCIATION_TOKEN"],
        env,
        logs=tmp,
    )
    for name in ("catalog-api", "catalog-worker"):
        log = open(tmp / f"{town}-{name}.log", "wb")  # noqa: SIM115 - the process owns it until the end
        instance.processes.append(subprocess.Popen([bin_dir / name], env=env, stdout=log, stderr=subprocess.STDOUT))
    try:
        _wait_ready(f"{instance.api}/healthz/ready", instance.processes, tmp)
        _wait_ready(f"{instance.worker}/healthz/ready", instance.processes, tmp)
    except RuntimeError:
        instance.stop()
        raise
    return instance


@pytest.fixture(scope="module")
def catalog(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CatalogInstance]:
    """A running catalog for a random town, shared by the tests of one module."""
    instance = start_catalog(databases, random_town(), tmp_path_factory.mktemp("catalog"))
    yield instance
    instance.stop()
