# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every package says its licence, ships its text, and every source file names it (decision 35).

The services are AGPL-3.0-or-later, the contracts and runtime kit in ``events/`` Apache-2.0;
the metadata is PEP 639's (``license`` as an SPDX expression, ``license-files``), so each wheel's
METADATA has ``License-Expression`` and its ``dist-info/licenses/``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(path.parent for path in (ROOT / "services").glob("*/pyproject.toml"))
PACKAGES = [ROOT / "events", *SERVICES]

AGPL, APACHE = "AGPL-3.0-or-later", "Apache-2.0"
# The official texts, unmodified (GNU's agpl-3.0.txt and Apache's LICENSE-2.0.txt).
TEXT_MD5 = {AGPL: "eb1e647870add0502f8f010b19de32af", APACHE: "3b83ef96387f14655fc854ddc3c6bd57"}


def licence_of(package: Path) -> str:
    """The licence of a package's own code: Apache-2.0 under events/, AGPL-3.0-or-later elsewhere."""
    return APACHE if package.name == "events" else AGPL


def _project(package: Path) -> dict[str, object]:
    return tomllib.loads((package / "pyproject.toml").read_text())


@pytest.mark.parametrize("package", PACKAGES, ids=lambda path: path.name)
def test_every_package_declares_its_licence_as_an_spdx_expression(package: Path) -> None:
    data = _project(package)
    project = data["project"]
    assert isinstance(project, dict)
    expression = project.get("license")
    assert isinstance(expression, str), 'PEP 639: license = "<SPDX expression>", not a table'
    assert expression.split(" AND ")[0] == licence_of(package)
    # PEP 639 metadata needs setuptools 77 or later to be written into the wheel.
    build = data["build-system"]
    assert isinstance(build, dict)
    setuptools = next(req for req in build["requires"] if req.startswith("setuptools"))
    match = re.fullmatch(r"setuptools>=(\d+)", setuptools)
    assert match and int(match.group(1)) >= 77


@pytest.mark.parametrize("package", PACKAGES, ids=lambda path: path.name)
def test_every_package_ships_the_official_licence_text(package: Path) -> None:
    project = _project(package)["project"]
    assert isinstance(project, dict)
    patterns = project.get("license-files")
    assert isinstance(patterns, list) and "LICENSE" in patterns
    for pattern in patterns:
        assert list(package.glob(pattern)), f"{package.name}: license-files {pattern!r} matches nothing"
    text = (package / "LICENSE").read_bytes()
    assert hashlib.md5(text).hexdigest() == TEXT_MD5[licence_of(package)]


def test_the_repository_licence_is_the_services_licence() -> None:
    assert (ROOT / "LICENSE").read_bytes() == (SERVICES[0] / "LICENSE").read_bytes()


def _spdx_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("spdx_headers", ROOT / "deploy" / "spdx_headers.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_tracked_python_file_and_shell_script_starts_with_its_spdx_line() -> None:
    """First line, or second after a shebang; add it with ``python deploy/spdx_headers.py``."""
    tool = _spdx_tool()
    files = tool.tracked()
    assert files
    wrong = [
        path
        for path in files
        if tool.header_line((ROOT / path).read_text(encoding="utf-8").splitlines())
        != f"{tool.PREFIX}{tool.licence_of(path)}"
    ]
    assert not wrong, f"missing or wrong SPDX line (run deploy/spdx_headers.py): {wrong}"


def test_the_spdx_line_goes_after_a_shebang() -> None:
    tool = _spdx_tool()
    assert tool.with_header("#!/bin/sh\necho\n", "AGPL-3.0-or-later") == (
        "#!/bin/sh\n# SPDX-License-Identifier: AGPL-3.0-or-later\necho\n"
    )
    assert tool.with_header('"""Doc."""\n', "Apache-2.0") == '# SPDX-License-Identifier: Apache-2.0\n"""Doc."""\n'
    assert tool.licence_of("events/src/downtown_events/catalog.py") == "Apache-2.0"
    assert tool.licence_of("services/catalog/catalog/worker.py") == "AGPL-3.0-or-later"
