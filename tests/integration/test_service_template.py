# SPDX-License-Identifier: AGPL-3.0-or-later
"""A service made from the kit's template runs as the others do, before anyone writes its domain.

It is rendered into a temporary folder and started from there (never installed), next to a
catalog, on the real broker and database: it provisions its town (database, topic, read
tables), its API and worker report ready, and its merchant replica follows the catalog.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import httpx
import pytest

from conftest import Databases
from tests.support.catalog_client import approve, register
from tests.support.local_stack import RunningTown, random_town, start_town
from tests.support.polling import wait_until
from tests.support.service_template import render_service

NAME = "probe"


@pytest.fixture(scope="module")
def town_with_a_new_service(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTown]:
    service = render_service(NAME, tmp_path_factory.mktemp("made"))
    commands = {  # what its console scripts would run, were it installed
        f"{NAME}-admin": [sys.executable, "-c", f"from {NAME}.admin import cli; cli()"],
        f"{NAME}-api": [sys.executable, "-c", f"from {NAME}.api.main import main; main()"],
        f"{NAME}-worker": [sys.executable, "-c", f"from {NAME}.worker import main; main()"],
    }
    path = os.pathsep.join(filter(None, [str(service), os.environ.get("PYTHONPATH")]))
    town = random_town()
    running = start_town(
        town,
        ["catalog", NAME],
        lambda name: databases.create(town, name),
        tmp_path_factory.mktemp("town"),
        extra_env={NAME: {"PYTHONPATH": path}},
        commands=commands,
    )
    try:
        yield running
    finally:
        running.stop()


def test_it_is_ready_and_follows_the_catalogs_merchants(town_with_a_new_service: RunningTown) -> None:
    town = town_with_a_new_service
    catalog, made = town["catalog"], town[NAME]
    assert httpx.get(f"{made.api}/healthz/ready").status_code == 200
    assert httpx.get(f"{made.worker}/healthz/ready").status_code == 200

    merchant_id, _ = register(catalog, name="Fahrradladen Speiche")
    known = wait_until(lambda: _merchant(made.api, merchant_id), what="the new service heard of the merchant")
    assert (known["name"], known["approved"]) == ("Fahrradladen Speiche", False)

    approve(catalog, town.association_token, merchant_id)
    wait_until(lambda: (_merchant(made.api, merchant_id) or {}).get("approved"), what="the approval reached it")


def test_it_answers_a_merchant_it_does_not_know_with_a_problem(town_with_a_new_service: RunningTown) -> None:
    response = httpx.get(f"{town_with_a_new_service[NAME].api}/merchants/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def _merchant(api: str, merchant_id: str) -> dict[str, object] | None:
    response = httpx.get(f"{api}/merchants/{merchant_id}")
    return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]
