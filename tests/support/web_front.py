# SPDX-License-Identifier: AGPL-3.0-or-later
"""The web front of a test town, as its own process (``downtown-web``) over the town's
services' HTTP APIs, as ``make run`` starts it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.local_stack import RunningTown, free_port


@dataclass
class WebFront:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_web_front(town: RunningTown, workdir: Path, **env: str) -> WebFront:
    """``downtown-web`` for ``town`` on a free port, answering when this returns."""
    port = free_port()
    environment = {
        **os.environ,
        "DOWNTOWN_TOWN": town.town,
        "DOWNTOWN_TOWN_NAME": "Teststadt",
        "DOWNTOWN_HTTP_PORT": str(port),
        "DOWNTOWN_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DOWNTOWN_CATALOG_URL": town["catalog"].api,
        "DOWNTOWN_ORDERING_URL": town["ordering"].api,
        **{
            f"DOWNTOWN_{name.upper()}_URL": town[name].api for name in ("vouchers", "dispatch") if name in town.services
        },
        **env,
    }
    log = workdir / "web.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "downtown-web")], env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    front = WebFront(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"downtown-web exited early:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{front.url}/healthz/ready", timeout=2).status_code == 200:
                return front
        time.sleep(0.2)
    front.stop()
    raise RuntimeError(f"downtown-web not ready after 60 s:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def running_web_front(town: RunningTown, workdir: Path, **env: str) -> Iterator[WebFront]:
    front = start_web_front(town, workdir, **env)
    try:
        yield front
    finally:
        front.stop()
