# SPDX-License-Identifier: AGPL-3.0-or-later
"""Rules of the shape that no single service can check alone.

The four services share nothing but ``events/``: no service imports another's package.
(Layering inside a service and the purity of ``domain/`` are checked by import-linter,
see ``.importlinter``; both run in ``make lint``, and every service must be listed there.)
"""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(path.name for path in (ROOT / "services").iterdir() if (path / "pyproject.toml").exists())


def imported_packages(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(), filename=str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = {name for name in SERVICES if name != service} | {"services"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & others)
        for path in (ROOT / "services" / service).rglob("*.py")
        if imported_packages(path) & others
    }
    assert offenders == {}


def test_the_event_contracts_need_only_pydantic() -> None:
    pyproject = (ROOT / "events" / "pyproject.toml").read_text()
    dependencies = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert [line.strip().strip('",') for line in dependencies.splitlines() if line.strip()] == ["pydantic>=2.7,<3"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_is_held_to_the_import_rules(service: str) -> None:
    """A new service must be added to .importlinter: pure domain, layers pointing inwards."""
    rules = configparser.ConfigParser()
    rules.read(ROOT / ".importlinter")
    assert service in rules["importlinter"]["root_packages"].split()
    assert f"{service}.domain" in rules["importlinter:contract:domain-is-pure"]["source_modules"].split()
    layers = rules[f"importlinter:contract:{service}-layers"]["layers"]
    assert layers.split()[-1] == f"{service}.domain"


# What a service's app/ may take from the kit: the event store port and the command loop, and
# what a use case decides with (records, principals, idempotency, failure kinds, pure helpers).
# Every other kit module is an adapter or an entrypoint and is forbidden in .importlinter.
APP_MAY_REACH = {
    "addresses",
    "clock",
    "commands",
    "failures",
    "idempotency",
    "identity",
    "principal",
    "process_manager",
    "readable",
    "records",
    "secrets",
    "store",
    # templates and catalogues rendered in memory: read like tzdata, no effect on the world
    "texts",
}


def test_every_kit_module_is_either_allowed_to_app_or_forbidden() -> None:
    """A new kit module must be placed: on the list app/ may reach, or in the contract."""
    rules = configparser.ConfigParser()
    rules.read(ROOT / ".importlinter")
    forbidden = set(rules["importlinter:contract:app-reaches-ports"]["forbidden_modules"].split())
    runtime = ROOT / "events" / "src" / "downtown_events" / "runtime"
    modules = {path.stem for path in runtime.glob("*.py") if path.stem != "__init__"}
    modules |= {path.name for path in runtime.iterdir() if (path / "__init__.py").exists()}
    unplaced = {name for name in modules - APP_MAY_REACH if f"downtown_events.runtime.{name}" not in forbidden}
    assert unplaced == set()
    assert not {f"downtown_events.runtime.{name}" for name in APP_MAY_REACH} & forbidden


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_app_is_held_to_the_app_rules(service: str) -> None:
    rules = configparser.ConfigParser()
    rules.read(ROOT / ".importlinter")
    for contract in ("app-does-no-io", "app-reaches-ports"):
        assert f"{service}.app" in rules[f"importlinter:contract:{contract}"]["source_modules"].split()
    assert f"{service}.settings" in rules["importlinter:contract:app-reaches-ports"]["forbidden_modules"].split()
