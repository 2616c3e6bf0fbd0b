# SPDX-License-Identifier: Apache-2.0
"""A worker whose faust app stops by itself starts again; one asked to stop does not."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.local_stack import ROOT


def _lines(marker: Path) -> list[list[str]]:
    return [line.split() for line in marker.read_text().splitlines()] if marker.exists() else []


def _wait_for_lines(marker: Path, count: int, worker: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while len(_lines(marker)) < count:
        assert worker.poll() is None, f"the worker exited ({worker.returncode})"
        assert time.monotonic() < deadline, f"{_lines(marker)} after {seconds:.0f} s"
        time.sleep(0.2)


def test_a_crashed_worker_starts_again_in_the_same_process_and_stops_when_asked(tmp_path: Path) -> None:
    marker = tmp_path / "starts"
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.support.crashing_worker", str(marker)], cwd=ROOT, stdout=log, stderr=log
        )
        try:
            _wait_for_lines(marker, 2, worker)
            (first_pid, first_restarts), (second_pid, second_restarts) = _lines(marker)
            assert first_pid == second_pid == str(worker.pid)  # exec: a supervisor sees one process
            assert (first_restarts, second_restarts) == ("0", "1")
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=60) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert len(_lines(marker)) == 2  # stopped as asked: not started again
