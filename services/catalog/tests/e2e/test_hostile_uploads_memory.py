# SPDX-License-Identifier: AGPL-3.0-or-later
"""A burst of decompression bombs and endless chunked uploads keeps the API under its
Kubernetes memory limit (768 MiB in deploy/k8s/base/api.yaml) and gets 4xx/503 answers.

Its own module, so its catalog processes are fresh and their peak memory is this test's.
"""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

from tests.support.catalog_client import register
from tests.support.local_stack import ServiceInstance
from tests.support.upload_burst import CUT_OFF, burst, hostile_payloads, memory_kib

RENDER = Path(__file__).resolve().parents[4] / "deploy" / "k8s" / "render.py"


def memory_limit_mib() -> int:
    """The catalog API container's memory limit as the rendered manifests of a town set it."""
    spec = importlib.util.spec_from_file_location("render", RENDER)
    assert spec is not None and spec.loader is not None
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    for document in render.render(render.towns()[0]):
        if document["kind"] == "Deployment" and document["metadata"]["name"] == "catalog-api":
            for container in document["spec"]["template"]["spec"]["containers"]:
                limit = container.get("resources", {}).get("limits", {}).get("memory", "")
                if limit.endswith("Mi"):
                    return int(limit.removesuffix("Mi"))
    raise AssertionError(f"no memory limit in Mi for catalog-api in what {RENDER} renders")


def test_a_burst_of_bombs_and_endless_uploads_stays_under_the_memory_limit(catalog: ServiceInstance) -> None:
    _, auth = register(catalog, name="Bombenleger GmbH")
    api_pid = catalog.processes["catalog-api"].pid
    before = memory_kib(api_pid)

    payloads = hostile_payloads()
    statuses = asyncio.run(burst(catalog.api, auth, payloads))

    peak_mib = memory_kib(api_pid)["VmHWM"] / 1024
    limit = memory_limit_mib()
    print(
        f"\nAPI memory: {before['VmRSS'] / 1024:.0f} MiB before, peak {peak_mib:.0f} MiB in the burst (limit {limit})"
    )
    for (name, _), status in zip(payloads, statuses, strict=True):
        expected = {"under.png": {201, 503}, "over.png": {422, 503}, "chunked": {413, CUT_OFF}}[name]
        assert status in expected, f"{name}: {status}"
    assert peak_mib < limit
