# SPDX-License-Identifier: AGPL-3.0-or-later
"""Name a new service in the few lists every service is in: ``make service`` runs it after Copier.

The rest finds services by their folder (the Makefile's lint, unit-test and mypy targets, the
test fixtures), so these are the only edits outside ``services/<name>/``:

- ``requirements/dev.txt``: the venv installs it (editable), with its console scripts;
- ``pyproject.toml``: mypy finds its package, ruff sorts its imports as first-party;
- ``.importlinter``: the import rules hold for it (its layers, its pure domain);
- ``deploy/local/services.sh``: ``make run`` starts it for the demo towns;

and it copies the repository's LICENSE into the service, which its wheel carries (Copier
renders nothing from outside the template, and a second copy in the template would drift).

Each edit is skipped when the name is there already, so running it twice changes nothing.
Deploying to Kubernetes is a decision, not a default: what to add there is printed at the end.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

Edit = Callable[[str, str], str]


class NotRegistered(Exception):
    """A list was not where this script expects it: the file changed shape; edit it by hand."""


def add_requirement(text: str, name: str) -> str:
    line = f"-e ./services/{name}"
    if line in text.splitlines():
        return text
    services = [match.end() for match in re.finditer(r"^-e \./services/\S+$", text, re.MULTILINE)]
    if not services:
        raise NotRegistered("no '-e ./services/…' line in requirements/dev.txt")
    return f"{text[: services[-1]]}\n{line}{text[services[-1] :]}"


def add_to_toml_list(key: str, item: str) -> Edit:
    """Append ``item`` to the one-line list ``key = [...]`` (mypy_path, known-first-party)."""

    def edit(text: str, _name: str) -> str:
        pattern = re.compile(rf"^({re.escape(key)} = \[)([^\]]*)(\])", re.MULTILINE)
        match = pattern.search(text)
        if match is None:
            raise NotRegistered(f"no one-line '{key} = [...]' in pyproject.toml")
        if f'"{item}"' in match.group(2):
            return text
        return f'{text[: match.end(2)]}, "{item}"{text[match.end(2) :]}'

    return edit


def add_to_ini_list(option: str) -> Edit:
    """Add the name to an option of .importlinter that lists one module per indented line."""

    def edit(text: str, name: str) -> str:
        match = re.search(rf"^{re.escape(option)} =\n((?:    \S+\n)+)", text, re.MULTILINE)
        if match is None:
            raise NotRegistered(f"no '{option} =' list in .importlinter")
        if f"    {name}\n" in match.group(1):
            return text
        return f"{text[: match.end(1)]}    {name}\n{text[match.end(1) :]}"

    return edit


def add_to_local_services(text: str, name: str) -> str:
    match = re.search(r"^SERVICES=\(([^)]*)\)", text, re.MULTILINE)
    if match is None:
        raise NotRegistered("no 'SERVICES=(...)' in deploy/local/services.sh")
    if name in match.group(1).split():
        return text
    return f"{text[: match.end(1)]} {name}{text[match.end(1) :]}"


EDITS: list[tuple[str, Edit]] = [
    ("requirements/dev.txt", add_requirement),
    ("pyproject.toml", lambda text, name: add_to_toml_list("mypy_path", f"services/{name}")(text, name)),
    ("pyproject.toml", lambda text, name: add_to_toml_list("known-first-party", name)(text, name)),
    (".importlinter", add_to_ini_list("root_packages")),
    (".importlinter", add_to_ini_list("containers")),
    ("deploy/local/services.sh", add_to_local_services),
]

ROOT_FILES = sorted({relative for relative, _ in EDITS})
"""The files outside ``services/<name>/`` that name every service."""

KUBERNETES = """\
To deploy it, add under `services:` in deploy/k8s/base/values.yaml:
  {name}:
    image: ghcr.io/downtown/{name}:0.1.0
    hostname: null   # required per town
    secrets: []
    reads: [catalog]
and give each town in deploy/k8s/towns/ its hostname (deploy/k8s/README.md)."""


def register(name: str, root: Path = ROOT) -> list[str]:
    """Apply every edit under ``root``; the files that changed."""
    changed = []
    licence = root / "services" / name / "LICENSE"
    if licence.parent.is_dir() and not licence.exists():
        shutil.copyfile(root / "LICENSE", licence)
        changed.append(str(licence.relative_to(root)))
    for relative, edit in EDITS:
        path = root / relative
        before = path.read_text()
        after = edit(before, name)
        if after != before:
            path.write_text(after)
            changed.append(relative)
    return sorted(set(changed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    arguments = parser.parse_args(argv)
    try:
        changed = register(arguments.name, arguments.root)
    except NotRegistered as error:
        print(f"!! {error}", file=sys.stderr)
        return 1
    print("registered in: " + (", ".join(changed) or "nothing new (it was registered before)"))
    print(KUBERNETES.format(name=arguments.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
