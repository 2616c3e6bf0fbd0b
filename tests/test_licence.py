"""Every package says its licence, and ships its text (decision 35).

The services are AGPL-3.0-or-later, the contracts and runtime kit in ``events/`` Apache-2.0;
the metadata is PEP 639's (``license`` as an SPDX expression, ``license-files``), so each wheel's
METADATA has ``License-Expression`` and its ``dist-info/licenses/``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

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
