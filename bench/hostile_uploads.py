# SPDX-License-Identifier: AGPL-3.0-or-later
"""Peak API memory under a burst of hostile uploads, against a burst of ordinary ones.

Each burst goes to a fresh ``catalog-api`` (its own bench town), so each peak (``VmHWM``)
is that burst's alone. The hostile burst is what the security review sent: PNGs declaring
just under and far over the pixel limit, and endless chunked uploads; the baseline is
sixteen 1600x1200 phone JPEGs at once. The target is the API container's 768 MiB limit
(deploy/k8s/base/api.yaml); the ratio says what hostility costs over ordinary use.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from bench.report import Figure, Target, say
from bench.scratch import delete_topics, random_town, scratch_database
from tests.support.local_stack import running_catalog

BENCHMARK = "hostile"
API_MEMORY_LIMIT_MIB = 768
PHOTO_SAMPLES = Path(__file__).resolve().parent.parent / "services" / "catalog" / "tests" / "unit"


def _peak_mib(kind: str) -> tuple[float, list[int]]:
    sys.path.insert(0, str(PHOTO_SAMPLES))  # upload_burst draws its photos with photo_samples
    from tests.support.catalog_client import register
    from tests.support.upload_burst import burst, hostile_payloads, memory_kib, ordinary_payloads

    payloads = hostile_payloads() if kind == "hostile" else ordinary_payloads()
    town = random_town()
    try:
        with (
            scratch_database() as database_url,
            tempfile.TemporaryDirectory(prefix=f"{town}-") as workdir,
            running_catalog(town, database_url, Path(workdir)) as instance,
        ):
            _, auth = register(instance, name=f"Bench {kind}")
            statuses = asyncio.run(burst(instance.api, auth, payloads))
            peak = memory_kib(instance.processes["catalog-api"].pid)["VmHWM"] / 1024
    finally:
        asyncio.run(delete_topics(town))
    say(f"  {kind} burst of {len(payloads)}: peak API memory {peak:.0f} MiB; answers {sorted(statuses)}")
    return peak, statuses


def run(options: argparse.Namespace) -> list[Figure]:
    say("hostile: ordinary burst first (the baseline), then the hostile one, each on a fresh API")
    ordinary, _ = _peak_mib("ordinary")
    hostile, _ = _peak_mib("hostile")
    return [
        Figure(BENCHMARK, "peak API memory, 16 ordinary photo uploads at once", ordinary, "MiB"),
        Figure(
            BENCHMARK,
            "peak API memory, 16 bombs and endless chunked uploads at once",
            hostile,
            "MiB",
            Target(API_MEMORY_LIMIT_MIB, at_least=False),
        ),
        Figure(BENCHMARK, "hostile / ordinary peak memory", hostile / ordinary, "ratio"),
    ]
