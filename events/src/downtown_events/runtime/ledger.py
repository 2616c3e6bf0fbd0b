# SPDX-License-Identifier: Apache-2.0
"""A service's whole event log as a portable file: export from one instance, import into another.

A town can change operator without a day of blackout: the new operator imports the old
instance's log into an empty one, which then publishes it on its own topics (the outbox)
and builds every read model from it — so balances, histories and statements come out the
same, because they are folds of the same events. Private events travel too (the new
instance needs them: a voucher code's hash); the file is therefore as confidential as the
database, and the new instance needs the town's secrets (e.g. the code-hash key).

The file is JSON lines: a header (format, service, town, time), one line per event in log
order with its data and metadata as the exact text stored (a JSON string, so an import
stores and publishes the same bytes), and a trailer with the count and a SHA-256 over the
event lines, so a truncated or altered file is refused. An import is one transaction into
an empty store: all of it or nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from downtown_events.contract import UnknownEventType, registry
from downtown_events.runtime.database import Pool
from downtown_events.runtime.postgres_store import OUTBOX_CHANNEL

FORMAT = "downtown-log/1"
_EXPORT = """
SELECT stream_id, version, event_id::text AS event_id, event_type, schema_version, data::text AS data,
       metadata::text AS metadata, recorded_at
FROM events ORDER BY position
"""


class InvalidLog(ValueError):
    """The file is not a complete log of this service, or the store is not empty."""


@dataclass(frozen=True)
class LogSummary:
    service: str
    town: str
    events: int
    sha256: str


async def export_log(pool: Pool, out: IO[str], *, service: str, town: str) -> LogSummary:
    """Write every stored event, in log order, with header and trailer."""
    digest = hashlib.sha256()
    count = 0
    out.write(json.dumps({"format": FORMAT, "service": service, "town": town, "exported_at": _now()}) + "\n")
    async with pool.connection() as conn, conn.transaction(), conn.cursor(name="export") as cursor:
        await cursor.execute(_EXPORT)
        async for row in cursor:
            line = _event_line(row)
            digest.update(line.encode())
            out.write(line + "\n")
            count += 1
    summary = LogSummary(service, town, count, digest.hexdigest())
    out.write(json.dumps({"events": count, "sha256": summary.sha256}) + "\n")
    return summary


def _event_line(row: dict[str, Any]) -> str:
    line = {key: row[key] for key in ("stream_id", "version", "event_id", "event_type", "schema_version")}
    line.update(recorded_at=row["recorded_at"].isoformat(), metadata=row["metadata"], data=row["data"])
    return json.dumps(line, ensure_ascii=False)


async def import_log(pool: Pool, lines: Iterator[str], *, service: str) -> LogSummary:
    """Load an exported log into this instance's empty store, queueing the published events."""
    header = _json(next(lines, ""), "header")
    if header.get("format") != FORMAT or header.get("service") != service:
        raise InvalidLog(f"not a {FORMAT} log of the {service} service (header: {header})")
    digest = hashlib.sha256()
    count = 0
    versions: dict[str, int] = {}
    published: dict[str, int] = {}
    async with pool.connection() as conn, conn.transaction():
        if await (await conn.execute("SELECT 1 FROM events LIMIT 1")).fetchone():
            raise InvalidLog("this instance's store is not empty; import into a freshly provisioned one")
        columns = (
            "stream_id, version, event_id, event_type, schema_version, data, metadata, recorded_at, published_version"
        )
        async with conn.cursor().copy(f"COPY events ({columns}) FROM STDIN") as copy:
            for line in lines:
                record = _json(line, "event")
                if "events" in record and "stream_id" not in record:
                    _check_trailer(record, count, digest.hexdigest())
                    break
                digest.update(line.rstrip("\n").encode())
                await copy.write_row(_checked_row(record, versions, published))
                count += 1
            else:
                raise InvalidLog("the log has no trailer: the file is truncated")
        await conn.execute(
            "INSERT INTO outbox (position) SELECT position FROM events WHERE published_version IS NOT NULL"
        )
        await conn.execute(f"NOTIFY {OUTBOX_CHANNEL}")
    return LogSummary(service, str(header.get("town", "")), count, digest.hexdigest())


def _checked_row(record: dict[str, Any], versions: dict[str, int], published: dict[str, int]) -> tuple[Any, ...]:
    """The COPY row of one event line, after checking it continues its stream and is readable;
    a published event is numbered among its stream's published events, as an append does."""
    try:
        stream, version, event_type = str(record["stream_id"]), int(record["version"]), str(record["event_type"])
        if version != versions.get(stream, 0) + 1:
            raise InvalidLog(f"stream {stream} jumps to version {version}")
        model = registry.latest(event_type)  # an instance that cannot read an event must not take it
        versions[stream] = version
        if model.published:
            published[stream] = published.get(stream, 0) + 1
        return (
            stream,
            version,
            record["event_id"],
            event_type,
            int(record["schema_version"]),
            _json_text(record["data"]),
            _json_text(record["metadata"]),
            datetime.fromisoformat(record["recorded_at"]),
            published[stream] if model.published else None,
        )
    except (KeyError, TypeError, ValueError, UnknownEventType) as error:
        if isinstance(error, InvalidLog):
            raise
        raise InvalidLog(f"unreadable event line: {error!r}") from error


def _json_text(text: Any) -> str:
    if not isinstance(text, str):
        raise InvalidLog("data and metadata must be the stored JSON text")
    _json(text, "data")
    return text


def _check_trailer(trailer: dict[str, Any], count: int, sha256: str) -> None:
    if trailer.get("events") != count or trailer.get("sha256") != sha256:
        raise InvalidLog(f"the trailer says {trailer.get('events')} events, the file holds {count} (or was altered)")


def _json(line: str, what: str) -> dict[str, Any]:
    try:
        parsed = json.loads(line)
    except json.JSONDecodeError as error:
        raise InvalidLog(f"the {what} line is not JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise InvalidLog(f"the {what} line is not a JSON object")
    return parsed


def _now() -> str:
    return datetime.now(UTC).isoformat()
