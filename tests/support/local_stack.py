# SPDX-License-Identifier: AGPL-3.0-or-later
"""Throw-away towns on the local stack: databases, and service processes run as in production.

Used by the test fixtures (``conftest.py``) and by ``bench/``. Everything gets a random town
id, so nothing here touches ``make run``'s demo towns or another test's data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
from aiokafka.admin import AIOKafkaAdminClient
from psycopg import sql

from downtown_events.runtime.identity import new_signing_key, public_key_of

KAFKA = os.environ.get("DOWNTOWN_TEST_KAFKA", "127.0.0.1:19092")
DATABASE_SERVER = os.environ.get("DOWNTOWN_TEST_DATABASE_SERVER", "postgresql://downtown@127.0.0.1:15432/postgres")
ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "deploy" / "local" / "stack.sh"
BROKER_PID = ROOT / ".downtown" / "kafka" / "broker.pid"
OWN_STACK = KAFKA == "127.0.0.1:19092" and "DOWNTOWN_TEST_DATABASE_SERVER" not in os.environ and BROKER_PID.exists()
"""The tests run on the stack ``make test`` started, so they may kill and restart its broker and
database (never someone else's)."""


TOWNS_MADE: set[str] = set()
"""Every town this process named, so that the session can delete their topics at its end."""

SESSION_TOWNS: set[str] = set()
"""The towns that live as long as the session (its shared fixtures'): their topics stay until
its end, while every other town's go when the module that made it ends."""


def random_town(prefix: str = "t") -> str:
    town = f"{prefix}{uuid.uuid4().hex[:10]}"
    TOWNS_MADE.add(town)
    return town


def delete_topics_of(towns: set[str]) -> int:
    """Delete the topics of ``towns`` (``<town>.…``); how many were deleted.

    A broker that keeps every test town's topics grows by a thousand partitions a run, and
    after a SIGKILL it checks each one before it answers again: the crash tests of a later
    run waited past their deadline for it.
    """
    if not towns:
        return 0

    async def delete() -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, client_id="downtown-tests-cleanup")
        await admin.start()
        try:
            names = [name for name in await admin.list_topics() if name.split(".", 1)[0] in towns]
            if names:
                await admin.delete_topics(names)
            return len(names)
        finally:
            await admin.close()

    return asyncio.run(delete())


def with_database(server_url: str, name: str) -> str:
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()


def create_database(name: str) -> str:
    with psycopg.connect(DATABASE_SERVER, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(DATABASE_SERVER, name)


def drop_database(name: str, *, patience: float = 120.0) -> None:
    """Drop ``name``, waiting out a server that is restarting (a crash test of this or another
    session may have just stopped it: the drop then found its connection closed)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            with psycopg.connect(DATABASE_SERVER, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


@contextlib.contextmanager
def scratch_database(prefix: str = "scratch") -> Iterator[str]:
    """A new, empty database, dropped (connections and all) at the end."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = create_database(name)
    try:
        yield url
    finally:
        drop_database(name)


PORTS_GIVEN: set[int] = set()
"""Every port :func:`free_port` handed out: a town's ports are all chosen before any of its
processes binds one, so the kernel could otherwise offer the same free port twice."""


def free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in PORTS_GIVEN:
            PORTS_GIVEN.add(port)
            return port


def kill_broker() -> None:
    """SIGKILL the local broker (as a lost node) and wait until it is gone."""
    pid = int(BROKER_PID.read_text().strip())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def _stack(command: str) -> None:
    """Run a command of the stack script; its output is the error's message when it fails."""
    done = subprocess.run(["bash", str(STACK), command], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"stack.sh {command} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def start_broker() -> None:
    """Start the local broker again (the stack script waits until it answers)."""
    _stack("kafka")


def restart_broker() -> None:
    kill_broker()
    start_broker()


def crash_database_server() -> None:
    """Stop the local PostgreSQL as a crash would (``-m immediate``: every connection dies,
    no checkpoint) and start it again; returns once it answers."""
    _stack("postgres-crash")


@dataclass
class ServiceInstance:
    """One town's instance of a service, running as in production: API and worker processes."""

    service: str
    town: str
    api: str
    worker: str
    association_token: str
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)
    """How to start a process other than by its console script (a service that is not installed)."""

    def launch(self, name: str) -> None:
        """Start (or start again) one of the town's processes, e.g. catalog-api or catalog-worker."""
        log = open(self.logs / f"{self.town}-{name}.log", "ab")  # noqa: SIM115 - the process owns it until the end
        command = self.commands.get(name) or [str(Path(sys.executable).parent / name)]
        self.processes[name] = subprocess.Popen(
            command, env=self.env, cwd=self.logs, stdout=log, stderr=subprocess.STDOUT
        )

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hook runs, as when a node dies."""
        self.processes[name].kill()
        self.processes[name].wait()

    def stop(self) -> None:
        self.ask_to_stop()
        self.wait_stopped()

    def ask_to_stop(self) -> None:
        for process in self.processes.values():
            process.terminate()

    def wait_stopped(self) -> None:
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_tails(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}" for path in self.logs.glob("*.log")
        )

    def keep_logs(self, folder: Path) -> list[Path]:
        """Copy the processes' logs to ``folder`` (a failed test's artefacts); the copies."""
        folder.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.copy2(path, folder / path.name)) for path in self.logs.glob("*.log")]


def wait_ready(instance: ServiceInstance) -> None:
    _wait_ready(f"{instance.api}/healthz/ready", instance)
    _wait_ready(f"{instance.worker}/healthz/ready", instance)


def _wait_ready(url: str, instance: ServiceInstance, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in instance.processes.values()):
            raise RuntimeError(f"a {instance.service} process exited early\n{instance.log_tails()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {seconds:.0f} s\n{instance.log_tails()}")


SERVICE_SECRETS: dict[str, Callable[[Path], dict[str, str]]] = {
    "catalog": lambda workdir: {
        "DOWNTOWN_TOKEN_SIGNING_KEY": new_signing_key(),
        "DOWNTOWN_PHOTO_DIR": str(workdir / "photos"),
    },
    "vouchers": lambda workdir: {
        "DOWNTOWN_CODE_HASH_KEY": secrets.token_urlsafe(32),
        "DOWNTOWN_PAYMENT_WEBHOOK_SECRET": secrets.token_urlsafe(32),
    },
    "ordering": lambda workdir: {"DOWNTOWN_TOKEN_SIGNING_KEY": new_signing_key()},
    # couriers' tokens outlive a restart of the API (a crash test kills it)
    "dispatch": lambda workdir: {"DOWNTOWN_TOKEN_SIGNING_KEY": new_signing_key()},
}
"""What only that service of a test town gets: its own secrets and folders."""


def started(instance: ServiceInstance) -> ServiceInstance:
    """Provision a prepared instance (topics, migrations, read tables), start its API and
    worker and wait until both are ready; stopped again if either is not."""
    provision(instance)
    try:
        start(instance)
        wait_ready(instance)
    except BaseException:
        instance.stop()
        raise
    return instance


def prepared_service(
    service: str,
    town: str,
    database_url: str,
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    commands: dict[str, list[str]] | None = None,
) -> ServiceInstance:
    """The town's instance of ``service`` with its environment and free ports, nothing started yet.

    ``workdir`` holds the logs, faust's data folder and whatever files the service keeps;
    ``commands`` starts ``<service>-admin``, ``-api`` or ``-worker`` otherwise than by its
    console script (a service made from the template in a test, never installed).
    """
    api_port, worker_port = free_port(), free_port()
    env = {
        **os.environ,
        "DOWNTOWN_TOWN": town,
        "DOWNTOWN_DATABASE_URL": database_url,
        "DOWNTOWN_KAFKA_BOOTSTRAP": KAFKA,
        "DOWNTOWN_HTTP_PORT": str(api_port),
        "DOWNTOWN_WORKER_PORT": str(worker_port),
        "DOWNTOWN_WORKER_DATA_DIR": str(workdir / "worker-data"),
        "DOWNTOWN_ASSOCIATION_TOKEN": f"association-{town}-{uuid.uuid4().hex}",
        "DOWNTOWN_TOPIC_PARTITIONS": "3",
        **SERVICE_SECRETS.get(service, lambda _workdir: {})(workdir),
        **(extra_env or {}),
    }
    return ServiceInstance(
        service,
        town,
        f"http://127.0.0.1:{api_port}",
        f"http://127.0.0.1:{worker_port}",
        env["DOWNTOWN_ASSOCIATION_TOKEN"],
        env,
        workdir,
        commands=commands or {},
    )


def provision(*instances: ServiceInstance) -> None:
    """``<service>-admin provision`` for each instance, side by side: each has its own database,
    and creating a topic another admin creates at the same moment is no error."""
    bin_dir = Path(sys.executable).parent
    running = [
        subprocess.Popen(
            [
                *(instance.commands.get(f"{instance.service}-admin") or [str(bin_dir / f"{instance.service}-admin")]),
                "provision",
            ],
            env=instance.env,
            cwd=instance.logs,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for instance in instances
    ]
    failed = []
    for instance, process in zip(instances, running, strict=True):
        output, _ = process.communicate()
        if process.returncode != 0:
            failed.append(f"{instance.service}-admin provision failed:\n{output}")
    if failed:
        raise RuntimeError("\n".join(failed))


def start(instance: ServiceInstance) -> None:
    """Launch the instance's API and worker (without waiting for them)."""
    for name in (f"{instance.service}-api", f"{instance.service}-worker"):
        instance.launch(name)


@contextlib.contextmanager
def running_service(
    service: str, town: str, database_url: str, workdir: Path, extra_env: dict[str, str] | None = None
) -> Iterator[ServiceInstance]:
    instance = started(prepared_service(service, town, database_url, workdir, extra_env))
    try:
        yield instance
    finally:
        instance.stop()


def running_catalog(
    town: str, database_url: str, workdir: Path, extra_env: dict[str, str] | None = None
) -> contextlib.AbstractContextManager[ServiceInstance]:
    return running_service("catalog", town, database_url, workdir, extra_env)


@dataclass
class RunningTown:
    """Several services of one test town, as separate processes that share only the town's
    secrets (the association's token, the catalog's public key) and Kafka."""

    town: str
    association_token: str
    services: dict[str, ServiceInstance]

    def __getitem__(self, service: str) -> ServiceInstance:
        return self.services[service]

    def stop(self) -> None:
        """Every process asked at once, then each awaited: a town's eight processes shut down
        side by side instead of one after another."""
        instances = list(reversed(list(self.services.values())))
        for instance in instances:
            instance.ask_to_stop()
        for instance in instances:
            instance.wait_stopped()


def start_town(
    town: str,
    services: list[str],
    database_url: Callable[[str], str],
    workdir: Path,
    extra_env: dict[str, dict[str, str]] | None = None,
    commands: dict[str, list[str]] | None = None,
) -> RunningTown:
    """Start ``services`` for one town side by side: every instance provisioned at once (each
    creates the topics it reads, too), then every process launched, then each awaited. One
    after another, a four-service town took about 15 s to start on two busy cores.

    ``database_url(service)`` gives each service its own fresh database; ``extra_env[service]``
    adds to that service's environment (an SMTP server, a short answer time).
    """
    association = f"association-{town}-{uuid.uuid4().hex}"
    catalog_key = new_signing_key()
    shared = {
        "DOWNTOWN_ASSOCIATION_TOKEN": association,
        "DOWNTOWN_TRUSTED_TOKEN_KEYS": json.dumps({"catalog-1": f"catalog:{public_key_of(catalog_key)}"}),
        # ordering seals a courier order's drop-off with it, dispatch opens it; the others ignore it
        "DOWNTOWN_DELIVERY_HANDOFF_KEY": f"handoff-{town}-{uuid.uuid4().hex}",
    }
    running = RunningTown(town, association, {})
    for service in services:
        folder = workdir / service
        folder.mkdir(parents=True, exist_ok=True)
        own = {"DOWNTOWN_TOKEN_SIGNING_KEY": catalog_key} if service == "catalog" else {}
        env = {**shared, **own, **(extra_env or {}).get(service, {})}
        running.services[service] = prepared_service(service, town, database_url(service), folder, env, commands)
    instances = list(running.services.values())
    try:
        provision(*instances)
        for instance in instances:
            start(instance)
        for instance in instances:
            wait_ready(instance)
    except BaseException:
        running.stop()
        raise
    return running
