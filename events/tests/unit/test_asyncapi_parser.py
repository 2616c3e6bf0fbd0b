# SPDX-License-Identifier: Apache-2.0
"""The published AsyncAPI document loads in the AsyncAPI initiative's own parser.

The parser (``@asyncapi/parser``, pinned in deploy/local/asyncapi) is installed into
``.downtown/asyncapi`` by the stack script that ``make test`` runs first; it reports
errors and warnings (unresolved ``$ref``, missing ids), and any of them fails this test.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
VALIDATOR = ROOT / ".downtown" / "asyncapi" / "validate.mjs"


def test_the_official_parser_loads_the_document_without_errors_or_warnings() -> None:
    node = shutil.which("node")
    assert node and VALIDATOR.exists(), (
        "run `bash deploy/local/stack.sh asyncapi` (make test does) to install the parser"
    )
    result = subprocess.run(
        [node, str(VALIDATOR), str(ROOT / "events" / "asyncapi.json")], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no errors or warnings" in result.stdout
