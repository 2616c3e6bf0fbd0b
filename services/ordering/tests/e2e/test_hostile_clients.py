"""What an attacker or a careless client tries against the running ordering API, kept found.

Driven over HTTP against the session's ordering town (catalog, vouchers and ordering as their
own processes, with Kafka and PostgreSQL between them). Where a test needs the API as it
runs behind the town's ingress, it starts another API process of the same instance with
``DOWNTOWN_TRUSTED_PROXY_HOPS=1`` and plays the ingress itself, appending the client's address.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.local_stack import RunningTown, ServiceInstance, free_port
from tests.support.ordering_client import wait_until

PROBLEM = "application/problem+json"
BEHIND_THE_INGRESS = {
    "DOWNTOWN_TRUSTED_PROXY_HOPS": "1",
    # What the Kubernetes manifests told uvicorn before issue 14: it then took the leftmost
    # X-Forwarded-For entry (the client's own words) for the client. The kit now decides.
    "FORWARDED_ALLOW_IPS": "*",
}


@contextlib.contextmanager
def replica(ordering: ServiceInstance, **settings: str) -> Iterator[str]:
    """Another API process of the town's ordering (same database), with other ``settings``."""
    port = free_port()
    env = {**ordering.env, "DOWNTOWN_HTTP_PORT": str(port), **settings}
    with (ordering.logs / f"replica-{port}.log").open("ab") as log:
        process = subprocess.Popen(
            [Path(sys.executable).parent / "ordering-api"], env=env, cwd=ordering.logs, stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: _ready(url, process), seconds=90, what="the ordering API replica getting ready")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def _ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, "the ordering API replica exited"
    try:
        return httpx.get(f"{url}/healthz/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def behind_the_ingress(ordering_town: RunningTown) -> Iterator[str]:
    with replica(ordering_town["ordering"], **BEHIND_THE_INGRESS) as url:
        yield url


def a_client() -> str:
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def problem(response: httpx.Response, status: int, *words: str) -> dict[str, object]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == PROBLEM, response.headers
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["title"]
    for word in words:
        assert word in str(body["detail"]), body
    return body


def clear_of_a_window_edge(seconds: int, margin: float = 5.0) -> None:
    """Wait (at most ``margin`` seconds, rarely) until a throttle window of ``seconds`` has room."""
    left = seconds - time.time() % seconds
    if left < margin:
        time.sleep(left + 0.1)


def test_sign_in_links_are_throttled_per_client_whatever_it_writes_into_x_forwarded_for(
    behind_the_ingress: str,
) -> None:
    """Sign-in links were as free as the vouchers' balance look-ups: each request naming another
    client in X-Forwarded-For had a budget of its own. Only the entry the ingress appended (the
    rightmost) counts, so one client asking for links to 21 addresses gets its 429."""
    limit = 20  # sign-in links per client per hour
    clear_of_a_window_edge(3600, margin=60)
    client = a_client()
    answers = []
    with httpx.Client(timeout=30) as http:
        for _ in range(limit + 1):
            forged = f"{a_client()}, {a_client()}, {client}"
            address = f"kundin-{uuid.uuid4().hex[:12]}@example.de"  # each address well within its own limit
            answers.append(
                http.post(
                    f"{behind_the_ingress}/sign-in-links", json={"email": address}, headers={"X-Forwarded-For": forged}
                )
            )

    assert [answer.status_code for answer in answers] == [202] * limit + [429], [a.text for a in answers[-2:]]
    refused = problem(answers[-1], 429)
    assert int(answers[-1].headers["retry-after"]) >= 1, refused
    other = httpx.post(
        f"{behind_the_ingress}/sign-in-links",
        json={"email": f"kunde-{uuid.uuid4().hex[:12]}@example.de"},
        headers={"X-Forwarded-For": f"{client}, {a_client()}"},  # the guesser's address, forged: someone else
    )
    assert other.status_code == 202, other.text


def test_the_workers_port_serves_its_health_and_nothing_of_fausts(ordering_town: RunningTown) -> None:
    """faust's /router/ (the cluster's members) and /table/ (its tables) answered anyone."""
    worker = ordering_town["ordering"].worker
    for path in ("/router/", "/table/", "/graph/", "/stats/", "/", "/figures/live"):
        problem(httpx.get(f"{worker}{path}"), 404, "this port serves")
    assert httpx.get(f"{worker}/healthz/ready").status_code == 200
