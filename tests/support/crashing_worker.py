# SPDX-License-Identifier: AGPL-3.0-or-later
"""A faust worker that crashes on its first start, for the kit's restart test.

``python -m tests.support.crashing_worker MARKER`` runs a worker through the kit's
``run_worker`` whose only task writes ``<pid> <restarts in a row>`` to ``MARKER`` and, on the
first start, raises: faust then stops the app by itself, as it does when its broker vanishes
while it starts. The kit's worker must start again, in the same process.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import faust

from downtown_events.runtime.faust_worker import RESTARTS_IN_A_ROW, run_worker
from tests.support.local_stack import KAFKA


def main() -> None:
    marker = Path(sys.argv[1])
    app = faust.App(
        f"crashing-worker-{os.getpid()}",
        broker=f"kafka://{KAFKA}",
        store="memory://",
        web_enabled=False,
        topic_allow_declare=False,
        datadir=tempfile.mkdtemp(prefix="crashing-worker-"),
    )

    @app.task
    async def start() -> None:
        restarts = os.environ.get(RESTARTS_IN_A_ROW, "0")
        with marker.open("a") as out:  # noqa: ASYNC230 - one line, once per start
            out.write(f"{os.getpid()} {restarts}\n")
        if restarts == "0":
            raise RuntimeError("crashing on the first start, as the test asks")

    run_worker(app, bootstrap=KAFKA)


if __name__ == "__main__":
    main()
