# SPDX-License-Identifier: AGPL-3.0-or-later
"""One trace follows a request from the API process, through the outbox and Kafka, into the
worker process that projects it: the trace id a client sends comes out in the worker's spans.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Databases
from tests.support.local_stack import ServiceInstance, random_town, running_catalog

REGISTRATION = {
    "name": "Uhrmacher Terbrack",
    "category": "Uhren",
    "phone": "02555 9",
    "email": "u@example.de",
    "address": {"street": "Markt 9", "postal_code": "48624", "city": "Schöppingen"},
}


@pytest.fixture(scope="module")
def traced_catalog(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceInstance]:
    """A catalog whose processes print their spans (the standard OTEL_* switches)."""
    town = random_town()
    console = {"OTEL_TRACES_EXPORTER": "console", "OTEL_BSP_SCHEDULE_DELAY": "100"}
    with running_catalog(town, databases.create(town, "catalog"), tmp_path_factory.mktemp("traced"), console) as c:
        yield c


def span_names_with_trace(log: Path, trace_id: str) -> set[str]:
    text = log.read_text(errors="replace")
    spans = re.findall(r'"name": "([^"]+)",\s*"context": \{\s*"trace_id": "0x([0-9a-f]{32})"', text)
    return {name for name, found in spans if found == trace_id}


def test_the_client_trace_id_reaches_the_workers_projection_span(traced_catalog: ServiceInstance) -> None:
    trace_id = uuid.uuid4().hex
    headers = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}

    registered = httpx.post(f"{traced_catalog.api}/merchants", json=REGISTRATION, headers=headers)
    assert registered.status_code == 201
    merchant_id = registered.json()["merchant"]["merchant_id"]

    worker_log = traced_catalog.logs / f"{traced_catalog.town}-catalog-worker.log"
    topic = f"{traced_catalog.town}.catalog.events"
    deadline = time.monotonic() + 20
    while f"{topic} process" not in span_names_with_trace(worker_log, trace_id):
        assert time.monotonic() < deadline, "the worker never recorded a span of the client's trace"
        time.sleep(0.2)

    api_log = traced_catalog.logs / f"{traced_catalog.town}-catalog-api.log"
    assert {"POST /merchants", "event_store.append"} <= span_names_with_trace(api_log, trace_id)
    assert f"{topic} publish" in span_names_with_trace(worker_log, trace_id)
    assert httpx.get(f"{traced_catalog.api}/directory/{merchant_id}").status_code == 200
