# SPDX-License-Identifier: Apache-2.0
"""An integrator's reader of a town's order events: every record comes at least once, each is
applied once.

    pip install downtown-events aiokafka
    python events/examples/order_reader.py 127.0.0.1:19092 schoeppingen

Downtown publishes at least once: a record whose acknowledgement a crash cut off (a relay, a
broker or a database going down at the wrong moment) is published again, with the same
``ce_id`` and the same ``ce_streamversion``. The runtime's own consumers drop such repeats by
the stream version, and so does this reader: per aggregate (``ce_subject``, also the record's
key) it remembers the last version it applied, applies only the next one, and drops what it
has seen. A version further ahead means an earlier one is still to come — the relay publishes
again from the first record it could not deliver, the later ones with it — so it is skipped
now and applied when it comes again, in order. Keep ``applied`` where your effect is, and
write both in one transaction; then a crash of the reader changes nothing either.
"""

from __future__ import annotations

import asyncio
import sys

from aiokafka import AIOKafkaConsumer

from downtown_events import CloudEvent
from downtown_events.envelope import InvalidEnvelope


def apply_once(applied: dict[str, int], envelope: CloudEvent) -> bool:
    """Whether ``envelope`` is its aggregate's next event (then it counts as applied)."""
    last = applied.get(envelope.subject, 0)
    if envelope.streamversion != last + 1:
        return False  # <= last: a repeat (same ce_id); > last + 1: comes again after the missing one
    applied[envelope.subject] = envelope.streamversion
    return True


async def read(bootstrap: str, town: str) -> None:
    consumer = AIOKafkaConsumer(
        f"{town}.ordering.events",
        bootstrap_servers=bootstrap,
        group_id=f"{town}-example-reader",
        auto_offset_reset="earliest",
        enable_auto_commit=False,  # commit after applying, never before
    )
    applied: dict[str, int] = {}
    await consumer.start()
    try:
        async for record in consumer:
            try:
                envelope = CloudEvent.from_kafka(record.key, record.value, record.headers)
            except InvalidEnvelope as error:
                print(f"not a Downtown event at offset {record.offset}: {error}", file=sys.stderr)
                continue
            if apply_once(applied, envelope):
                event = envelope.decode()  # the newest model version, old versions upcast
                print(f"{envelope.time:%H:%M:%S} {type(event).__name__} v{envelope.streamversion} {envelope.subject}")
            await consumer.commit()
    finally:
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(read(sys.argv[1], sys.argv[2]))
