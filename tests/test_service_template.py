# SPDX-License-Identifier: AGPL-3.0-or-later
"""The kit's service template makes a service that passes the lint rules and stays small,
and ``register.py`` names it in the shared lists once, however often it runs.

That the service it makes runs (registers, is ready, consumes the catalog's merchants) is
``tests/integration/test_service_template.py``.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.service_template import ROOT, render_service, ruff_for, wiring_lines

MOST_WIRING_LINES = 150
"""What issue 15 allows a new service to write of its own wiring."""

REGISTER = ROOT / "deploy" / "service-template" / "register.py"
_register_spec = importlib.util.spec_from_file_location("register", REGISTER)
assert _register_spec and _register_spec.loader
register = importlib.util.module_from_spec(_register_spec)
_register_spec.loader.exec_module(register)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_service("parcel", tmp_path_factory.mktemp("made"))


def test_the_template_makes_a_service_with_the_usual_layout(made: Path) -> None:
    package = made / "parcel"
    for part in ("domain", "app", "adapters", "api", "projections"):
        assert (package / part / "__init__.py").is_file(), part
    for entry in ("worker.py", "admin.py", "api/main.py", "bootstrap.py", "settings.py"):
        assert (package / entry).is_file(), entry
    assert 'name = "downtown-parcel"' in (made / "pyproject.toml").read_text()


def test_a_new_service_writes_at_most_150_lines_of_wiring(made: Path) -> None:
    lines = wiring_lines(made)
    print(f"a new service made from the template: {lines} lines of wiring")
    assert lines <= MOST_WIRING_LINES


def test_what_the_template_makes_is_clean_for_ruff(made: Path) -> None:
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run([*ruff_for("parcel"), *command, str(made)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_file_it_makes_says_its_licence(made: Path) -> None:
    for path in made.rglob("*.py"):
        assert path.read_text().startswith("# SPDX-License-Identifier: AGPL-3.0-or-later\n"), path


def test_register_names_the_service_once_in_each_shared_list(tmp_path: Path) -> None:
    for relative in [*register.ROOT_FILES, "LICENSE"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, tmp_path / relative)
    (tmp_path / "services" / "parcel").mkdir(parents=True)

    first = register.register("parcel", tmp_path)
    again = register.register("parcel", tmp_path)

    assert first == sorted([*register.ROOT_FILES, "services/parcel/LICENSE"]) and again == []
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in (tmp_path / "services/parcel/LICENSE").read_text()[:200]
    assert "-e ./services/parcel\n" in (tmp_path / "requirements/dev.txt").read_text()
    assert '"services/parcel"' in (tmp_path / "pyproject.toml").read_text()
    importlinter = (tmp_path / ".importlinter").read_text()
    assert importlinter.count("    parcel\n") == 2  # a root package, and a container of the layers
    assert " parcel)" in (tmp_path / "deploy/local/services.sh").read_text()


def test_register_refuses_a_file_that_changed_shape() -> None:
    with pytest.raises(register.NotRegistered, match=r"requirements/dev\.txt"):
        register.add_requirement("pytest\n", "parcel")
