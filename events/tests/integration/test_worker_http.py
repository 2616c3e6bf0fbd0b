# SPDX-License-Identifier: Apache-2.0
"""The worker's HTTP port serves its health to anyone and nothing else but the association's
live figures: faust's own views (the cluster's members, the tables' contents) are not there.

A real worker process made by the kit (``tests/support/live_worker.py``), against the real broker and a
fresh database, as Kubernetes runs one: the port is bound to every address of the pod.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from downtown_events.runtime.kafka import ensure_topics
from downtown_events.runtime.live_figures import CHANGELOG_CONFIG, changelog_topic
from downtown_events.runtime.service import worker_app_id
from tests.support.live_worker import FIGURE, SERVICE
from tests.support.local_stack import KAFKA, ROOT, free_port

FAUSTS_OWN = ["/", "/router/", "/table/", "/table/live_registrations/", "/graph/", "/stats/", "/assignment/"]
FAUSTS_OWN += ["/performance/", "/router/live_registrations/anything/", "/healthz", "/figures/live/x"]


class Worker:
    def __init__(self, url: str, association_token: str) -> None:
        self.url = url
        self.association = {"Authorization": f"Bearer {association_token}"}


@pytest.fixture
def worker(town: str, database_url: str, tmp_path: Path) -> Iterator[Worker]:
    app_id = worker_app_id(town, SERVICE)
    extra = {changelog_topic(app_id, FIGURE): CHANGELOG_CONFIG}
    asyncio.run(ensure_topics(KAFKA, town, SERVICE, partitions=1, extra=extra))
    port, token = free_port(), f"association-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DOWNTOWN_TOWN": town,
        "DOWNTOWN_DATABASE_URL": database_url,
        "DOWNTOWN_KAFKA_BOOTSTRAP": KAFKA,
        "DOWNTOWN_WORKER_PORT": str(port),
        "DOWNTOWN_WORKER_DATA_DIR": str(tmp_path / "worker-data"),
        "DOWNTOWN_ASSOCIATION_TOKEN": token,
        "DOWNTOWN_TOPIC_PARTITIONS": "1",
    }
    with (tmp_path / "worker.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.live_worker"], env=env, cwd=ROOT, stdout=log, stderr=log
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(url, process, tmp_path / "worker.log")
            yield Worker(url, token)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the worker exited\n{log.read_text(errors='replace')[-3000:]}"
        try:
            if httpx.get(f"{url}/healthz/ready", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the worker was not ready after {seconds:.0f} s\n{log.read_text(errors='replace')[-3000:]}")


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, (response.request.url, response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_the_workers_port_serves_health_to_anyone_and_the_live_figures_to_the_association_only(
    worker: Worker,
) -> None:
    with httpx.Client(base_url=worker.url, timeout=10) as http:
        assert http.get("/healthz/live").json() == {"status": "live"}
        assert http.get("/healthz/ready").json()["status"] == "ready"

        for path in FAUSTS_OWN:
            for method in ("GET", "POST"):
                problem(http.request(method, path), 404)

        anonymous = problem(http.get("/figures/live"), 401)
        assert http.get("/figures/live").headers["www-authenticate"] == "Bearer"
        assert "Bearer" in str(anonymous["detail"])
        problem(http.get("/figures/live", headers={"Authorization": "Bearer not-the-association"}), 401)
        problem(
            http.get("/figures/live", headers={"Authorization": f"Basic {worker.association['Authorization']}"}), 401
        )
        problem(http.get("/figures/live", headers={"Authorization": "Bearer"}), 401)

        shown = http.get("/figures/live", headers=worker.association)
        assert shown.status_code == 200, shown.text
        assert shown.json()["figures"] == {FIGURE.name: []}
