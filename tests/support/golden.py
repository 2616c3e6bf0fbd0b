# SPDX-License-Identifier: AGPL-3.0-or-later
"""Golden files: what a person reads (a mail, a PDF's text), stored as readable text and
compared to the character.

A golden test renders its fixture and calls :func:`assert_golden`; a difference fails with a
unified diff. A wording changed on purpose is written back with ``DOWNTOWN_UPDATE_GOLDEN=1``
(``DOWNTOWN_UPDATE_GOLDEN=1 .downtown/venv/bin/python -m pytest services/ordering/tests/unit/test_golden_mails.py``),
and the diff of the golden files is then reviewed with the change like any other.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

import pytest

UPDATE = os.environ.get("DOWNTOWN_UPDATE_GOLDEN", "") == "1"
"""Set ``DOWNTOWN_UPDATE_GOLDEN=1`` to rewrite the golden files from what is rendered now."""


def assert_golden(path: Path, text: str) -> None:
    """``text`` is exactly ``path``'s content (written there instead when updating)."""
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
        return
    if not path.exists():
        pytest.fail(f"no golden file {path}; write it with DOWNTOWN_UPDATE_GOLDEN=1 and review it")
    expected = path.read_text(encoding="utf-8")
    if expected != text:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"{path.name} (golden)",
            tofile=f"{path.name} (rendered)",
        )
        pytest.fail("rendered text differs from its golden file:\n" + "".join(diff), pytrace=False)


def assert_no_stale_golden(directory: Path, written: Iterable[str]) -> None:
    """Every golden file in ``directory`` is one a test renders (a mail no longer sent must
    lose its file, not keep a wording nobody checks); removed when updating."""
    stale = sorted({path.name for path in directory.glob("*.txt")} - set(written))
    if UPDATE:
        for name in stale:
            (directory / name).unlink()
        return
    assert stale == [], f"golden files no test renders: {stale}"
