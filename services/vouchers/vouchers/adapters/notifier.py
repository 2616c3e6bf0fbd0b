# SPDX-License-Identifier: AGPL-3.0-or-later
"""The buyer's notifier consumer: the vouchers' store in, the kit's mail outbox out, in one
transaction.

Registered as ``Reaction(…, from_store=True)``: the runtime's store feed hands it the
store's events in commit order (private ones too: the buyer's address and language are
private) and saves its checkpoint and tracking rows in the transaction :meth:`Notifier.handle`
runs in. What it reads (the purchase's, programmes' and vouchers' streams) and writes (the
outbox rows) is on that connection, so a crash before the commit leaves nothing and the
events come again; one after it leaves the mails queued and the events marked read. Only
the merchants' names on a merchant programme's vouchers come from the replica, through the
pool, as the download's do.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from downtown_events.runtime.database import Connection
from downtown_events.runtime.faults import crash_point
from downtown_events.runtime.mail_outbox import PostgresMailQueue
from downtown_events.runtime.postgres_store import TransactionalEventStore
from downtown_events.runtime.records import ReceivedEvent
from vouchers.app.notifier import READS, NotifierSettings, PrintableVouchers, notify
from vouchers.app.ports import CodeSeal

SERVICE = "vouchers"
CONSUMER_NAME = "vouchers_notifier"
MAX_AGE = timedelta(days=2)
"""Events recorded longer ago send no mail (as the sender gives up on mail that old): a new
notifier reading the store from its start does not write to every buyer there ever was."""


class Notifier:
    """The :class:`~downtown_events.runtime.tracking.EventHandler` that queues buyers' mails."""

    consumer_name = CONSUMER_NAME

    def __init__(
        self,
        settings: NotifierSettings,
        *,
        seal: CodeSeal,
        documents: PrintableVouchers,
        max_age: timedelta = MAX_AGE,
    ) -> None:
        self.settings = settings
        self._seal = seal
        self._documents = documents
        self._max_age = max_age

    @property
    def reads(self) -> frozenset[str]:
        return READS

    async def handle(self, conn: Connection, events: Sequence[ReceivedEvent]) -> None:
        store = TransactionalEventStore(conn, service=SERVICE)
        outbox = PostgresMailQueue(conn)
        too_old = datetime.now(UTC) - self._max_age
        for received in events:
            if received.envelope.time < too_old:
                continue
            await notify(
                received.event,
                received.envelope.id,
                store=store,
                mail=outbox,
                seal=self._seal,
                documents=self._documents,
                settings=self.settings,
            )
            crash_point("vouchers_notifier.after_queue")
