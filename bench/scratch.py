# SPDX-License-Identifier: AGPL-3.0-or-later
"""Throw-away towns, databases and topics, so a benchmark never touches a demo town."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from aiokafka.admin import AIOKafkaAdminClient

from tests.support import local_stack
from tests.support.local_stack import KAFKA


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """``CREATE DATABASE bench_<hex>`` on the server; dropped (connections and all) at the end."""
    with local_stack.scratch_database("bench") as url:
        yield url


def random_town() -> str:
    return local_stack.random_town("bench")


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
