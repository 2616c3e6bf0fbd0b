# SPDX-License-Identifier: Apache-2.0
"""A reacting consumer killed (SIGKILL) between any two of its steps reacts exactly once.

The worker (``tests/support/reaction_worker.py``) reacts to each ``OfferListed`` by
appending one event to ``reactions-<offer_id>``, with a reaction that is not idempotent by
itself. It is started with a fault point switched on, dies there, and is started again
without it; afterwards every offer must have exactly one reaction, published once by the
relay — nothing lost, nothing doubled.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import psycopg
from aiokafka import AIOKafkaProducer

from conftest import Databases
from downtown_events.catalog import OfferListed
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.kafka import ensure_topics, reliable_producer
from downtown_events.topics import event_source, events_topic
from tests.support.local_stack import KAFKA, free_port, random_town
from tests.support.topic_reader import read_all

OFFERS = 6
FAULT_POINTS = [
    "process_manager.before_reaction",
    "process_manager.after_reaction",
    "consumer.before_commit",
    "consumer.after_commit",
]
ROOT = Path(__file__).resolve().parents[3]


async def publish_listings(town: str, count: int) -> list[str]:
    producer: AIOKafkaProducer = reliable_producer(KAFKA, client_id="test-listings")
    await producer.start()
    offer_ids = [str(uuid4()) for _ in range(count)]
    try:
        for offer_id in offer_ids:
            listed = OfferListed(offer_id=offer_id, merchant_id=uuid4(), kind="product", title="Tee", price_cents=350)
            envelope = CloudEvent(
                id=str(uuid4()),
                source=event_source(town, "catalog"),
                type=OfferListed.ce_type(),
                subject=offer_id,
                time=datetime.now(UTC),
                town=town,
                streamversion=1,
                data=listed.model_dump_json().encode(),
            )
            key, value, headers = envelope.to_kafka()
            await producer.send_and_wait(events_topic(town, "catalog"), value=value, key=key, headers=headers)
    finally:
        await producer.stop()
    return offer_ids


def start_worker(town: str, database_url: str, workdir: Path, fault_point: str | None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DOWNTOWN_TOWN": town,
        "DOWNTOWN_DATABASE_URL": database_url,
        "DOWNTOWN_KAFKA_BOOTSTRAP": KAFKA,
        "DOWNTOWN_WORKER_PORT": str(free_port()),
        "DOWNTOWN_WORKER_DATA_DIR": str(workdir / "worker-data"),
    }
    env.pop("DOWNTOWN_FAULT_POINT", None)
    if fault_point:
        env["DOWNTOWN_FAULT_POINT"] = fault_point
    log = open(workdir / "worker.log", "ab")  # noqa: SIM115 - the process owns it until the end
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.reaction_worker"], env=env, cwd=workdir, stdout=log, stderr=log
    )


def reactions(database_url: str) -> dict[str, int]:
    """Stream -> number of reaction events."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT stream_id, count(*) FROM events WHERE stream_id LIKE 'reactions-%' GROUP BY 1"
        ).fetchall()
    return {stream: events for stream, events in rows}


def outbox_is_empty(database_url: str) -> bool:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM outbox").fetchone()
    return row is not None and row[0] == 0


def wait_for(check: object, seconds: float, worker: subprocess.Popen[bytes], workdir: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.2)
    worker.kill()
    raise AssertionError(f"timed out; worker log:\n{(workdir / 'worker.log').read_text()[-4000:]}")


def test_a_reaction_killed_at_any_step_happens_exactly_once(databases: Databases, tmp_path: Path) -> None:
    """Every fault point at once, each in a town of its own: a restarted worker mostly waits
    for its killed predecessor's group session to expire (10 s), so side by side the four take
    the time of one instead of a minute."""
    with ThreadPoolExecutor(len(FAULT_POINTS)) as pool:
        tried = {
            point: pool.submit(killed_then_restarted, point, databases, tmp_path / point) for point in FAULT_POINTS
        }
    failed = {point: repr(attempt.exception()) for point, attempt in tried.items() if attempt.exception()}
    assert not failed, failed


def killed_then_restarted(fault_point: str, databases: Databases, workdir: Path) -> None:
    """A worker dies at ``fault_point``; the one started after it must leave every offer with
    exactly one reaction, published once."""
    from downtown_events.runtime.database import migrate

    workdir.mkdir()
    town = random_town("r")
    database_url = databases.create(town, "reactions")
    migrate(database_url)
    asyncio.run(ensure_topics(KAFKA, town, "catalog", partitions=2))
    asyncio.run(ensure_topics(KAFKA, town, "reactions", partitions=2))
    offer_ids = asyncio.run(publish_listings(town, OFFERS))

    doomed = start_worker(town, database_url, workdir, fault_point)
    wait_for(lambda: doomed.poll() is not None, 90, doomed, workdir)
    assert doomed.returncode == -9, f"the worker should have died at {fault_point}"
    died_with = reactions(database_url)

    survivor = start_worker(town, database_url, workdir, None)
    try:
        wait_for(lambda: len(reactions(database_url)) == OFFERS, 90, survivor, workdir)
        wait_for(lambda: outbox_is_empty(database_url), 90, survivor, workdir)  # the relay published them
        time.sleep(1)  # let any duplicate that would slip through arrive
        final = reactions(database_url)
    finally:
        survivor.terminate()
        survivor.wait(timeout=30)

    assert final == {f"reactions-{offer_id}": 1 for offer_id in offer_ids}
    # the relay has published everything (the outbox is empty): the topic's end is final, so
    # it is read up to there instead of waiting for a duplicate that may never come
    published = read_all(events_topic(town, "reactions"))
    assert sorted(record.key.decode() for record in published) == sorted(final)
    if fault_point == "consumer.after_commit":
        assert died_with, "the batch committed before the crash, so its reactions survived it"
    else:
        assert died_with == {}, "nothing of an uncommitted batch survives the crash"
