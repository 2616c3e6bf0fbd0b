# SPDX-License-Identifier: AGPL-3.0-or-later
"""Render the kit's service template (deploy/service-template) into a folder, as ``make service`` does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from copier import run_copy

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "service-template"


def render_service(name: str, destination: Path) -> Path:
    """``destination/services/<name>``, made from the template as ``make service`` makes it:
    rendered with the defaults, then its imports sorted with the name as first-party (where
    it sorts among ``downtown_events`` depends on the name, so the template cannot say)."""
    run_copy(str(TEMPLATE), destination, data={"name": name}, defaults=True, quiet=True)
    service = destination / "services" / name
    subprocess.run([*ruff_for(name), "check", "--fix-only", "--quiet", str(service)], check=True)
    subprocess.run([*ruff_for(name), "format", "--quiet", str(service)], check=True)
    return service


def ruff_for(name: str) -> list[str]:
    """Ruff with the repository's settings, ``name`` first-party as ``register.py`` makes it."""
    ruff = Path(sys.executable).parent / "ruff"
    first_party = ["downtown_events", name]
    return [str(ruff), "--config", f"lint.isort.known-first-party = {first_party!r}".replace("'", '"')]


def wiring_lines(service: Path) -> int:
    """Lines of code the new service holds before anyone writes its domain: its wiring
    (settings, composition root, entry points, API app, the replica it declares) and its one
    example route. Docstrings count; blank lines and comments do not; nor do tests and the
    packaging metadata."""
    package = service / service.name
    lines = (line.strip() for path in package.rglob("*.py") for line in path.read_text().splitlines())
    return sum(1 for line in lines if line and not line.startswith("#"))
