# SPDX-License-Identifier: AGPL-3.0-or-later
"""Add the SPDX licence line to every tracked Python file and shell script that lacks it (decision 35).

    .downtown/venv/bin/python deploy/spdx_headers.py [--check]

The line goes first, or right after a shebang: Apache-2.0 under ``events/`` (the contracts and
runtime kit integrators install), AGPL-3.0-or-later everywhere else. A file with changes not yet
committed is left alone (someone is editing it) and listed; ``--check`` only lists what lacks it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATTERNS = ("*.py", "*.sh")
PREFIX = "# SPDX-License-Identifier: "


def licence_of(path: str) -> str:
    return "Apache-2.0" if path.startswith("events/") else "AGPL-3.0-or-later"


def tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", *PATTERNS], cwd=ROOT, check=True, capture_output=True).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def header_line(lines: list[str]) -> str | None:
    """The SPDX line where it belongs (first, or second after a shebang), or None."""
    index = 1 if lines and lines[0].startswith("#!") else 0
    if len(lines) > index and lines[index].startswith(PREFIX):
        return lines[index].rstrip("\n")
    return None


def with_header(text: str, licence: str) -> str:
    lines = text.splitlines(keepends=True)
    index = 1 if lines and lines[0].startswith("#!") else 0
    lines.insert(index, f"{PREFIX}{licence}\n")
    return "".join(lines)


def committed(path: str) -> bool:
    return subprocess.run(["git", "diff", "--quiet", "HEAD", "--", path], cwd=ROOT).returncode == 0


def main(argv: list[str]) -> int:
    check = "--check" in argv
    missing, busy, added = [], [], []
    for path in tracked():
        text = (ROOT / path).read_text(encoding="utf-8")
        if header_line(text.splitlines()) is not None:
            continue
        if check:
            missing.append(path)
        elif not committed(path):
            busy.append(path)
        else:
            (ROOT / path).write_text(with_header(text, licence_of(path)), encoding="utf-8")
            added.append(path)
    for path in added:
        print(path)
    for path in busy:
        print(f"skipped, uncommitted changes: {path}", file=sys.stderr)
    for path in missing:
        print(f"no SPDX line: {path}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
