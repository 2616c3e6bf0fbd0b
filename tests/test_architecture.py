# SPDX-License-Identifier: AGPL-3.0-or-later
"""Rules of the shape that no single service can check alone.

The four services share nothing but ``events/``: no service imports another's package.
(Layering inside a service and the purity of ``domain/`` are checked by import-linter,
see ``.importlinter``; both run in ``make lint``, and every service must be listed there.)
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
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
    """A new service must be named in .importlinter (a root package, a container of the layers;
    ``register.py`` of the service template does it): the wildcard contracts then hold it to a
    pure domain and layers pointing inwards."""
    rules = configparser.ConfigParser()
    rules.read(ROOT / ".importlinter")
    assert service in rules["importlinter"]["root_packages"].split()
    assert "*.domain" in rules["importlinter:contract:domain-is-pure"]["source_modules"].split()
    layers = rules["importlinter:contract:layers"]
    assert service in layers["containers"].split()
    assert layers["layers"].split()[-1] == "domain"


# What a service's app/ may take from the kit (its ports): the event store port and the command
# loop, and what a use case decides with (records, principals, idempotency, failure kinds, pure
# helpers). Every other kit module is an adapter or an entrypoint and is forbidden in
# .importlinter; the kit-ports-are-pure contract keeps each port free of them and of drivers.
APP_MAY_REACH = {
    "addresses",
    "clock",
    "commands",
    "failures",
    "idempotency",
    "mail",  # the mail a use case writes (OutgoingMail, mail_id); the outbox is mail_outbox, an adapter
    "principal",
    "process_manager",
    "readable",
    "records",
    "secrets",
    "sign_in_mail",  # the mail carrying a sign-in link, composed in memory (queued by the outbox)
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
    assert service in rules["importlinter"]["root_packages"].split()
    for contract in ("app-does-no-io", "app-reaches-ports"):
        assert "*.app" in rules[f"importlinter:contract:{contract}"]["source_modules"].split()
    assert "*.settings" in rules["importlinter:contract:app-reaches-ports"]["forbidden_modules"].split()
    assert importlib.util.find_spec(f"{service}.settings") is not None


APP_CONTRACTS = ("app-does-no-io", "app-reaches-ports", "kit-ports-are-pure")


def _forbidden_contracts(rules: configparser.ConfigParser) -> dict[str, configparser.SectionProxy]:
    return {
        name.removeprefix("importlinter:contract:"): rules[name]
        for name in rules.sections()
        if name.startswith("importlinter:contract:") and rules[name].get("type") == "forbidden"
    }


def test_app_and_the_ports_are_held_through_indirect_imports_too() -> None:
    """A port that imports psycopg makes every app/ importing it import psycopg: the app rules
    count the whole chain, not just app/'s own import lines."""
    rules = configparser.ConfigParser()
    rules.read(ROOT / ".importlinter")
    for contract in APP_CONTRACTS:
        assert not rules[f"importlinter:contract:{contract}"].getboolean("allow_indirect_imports", fallback=False)


def test_the_ports_contract_holds_exactly_what_app_may_reach() -> None:
    """The ports are pure by the same rules as app/ itself: no package app/ may not import,
    and no kit module app/ may not reach."""
    rules = configparser.ConfigParser()
    rules.read(ROOT / ".importlinter")
    ports = rules["importlinter:contract:kit-ports-are-pure"]
    assert set(ports["source_modules"].split()) == {f"downtown_events.runtime.{name}" for name in APP_MAY_REACH}
    kit_forbidden = set(ports["forbidden_modules"].split()) - set(
        rules["importlinter:contract:app-does-no-io"]["forbidden_modules"].split()
    )
    app_forbidden = {
        name
        for name in rules["importlinter:contract:app-reaches-ports"]["forbidden_modules"].split()
        if name.startswith("downtown_events.")
    }
    assert kit_forbidden == app_forbidden


def test_every_package_a_contract_forbids_exists() -> None:
    """import-linter accepts a forbidden name it never meets, so a misspelt one (``pil`` for
    ``PIL``) would make its rule hold by saying nothing."""
    rules = configparser.ConfigParser()
    rules.read(ROOT / ".importlinter")
    unknown = {
        f"{contract}: {name}"
        for contract, section in _forbidden_contracts(rules).items()
        for name in section["forbidden_modules"].split()
        if "*" not in name and importlib.util.find_spec(name) is None  # a wildcard: the test above
    }
    assert unknown == set()
