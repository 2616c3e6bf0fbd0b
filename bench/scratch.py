"""Throw-away towns, databases and topics, so a benchmark never touches a demo town."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
from aiokafka.admin import AIOKafkaAdminClient
from psycopg import sql

KAFKA = os.environ.get("DOWNTOWN_BENCH_KAFKA", "127.0.0.1:19092")
DATABASE_SERVER = os.environ.get("DOWNTOWN_BENCH_DATABASE_SERVER", "postgresql://downtown@127.0.0.1:15432/postgres")


def random_town() -> str:
    return f"bench{uuid.uuid4().hex[:10]}"


def with_database(server_url: str, name: str) -> str:
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """``CREATE DATABASE bench_<hex>`` on the server; dropped (connections and all) at the end."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(DATABASE_SERVER, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(DATABASE_SERVER, name)
    finally:
        with psycopg.connect(DATABASE_SERVER, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


async def delete_topics(town: str) -> None:
    """Delete every topic of the bench town (``<town>.*``); best effort, it is only clean-up."""
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, client_id=f"{town}-bench-cleanup")
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if name.startswith(f"{town}.")]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()
