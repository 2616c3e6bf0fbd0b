# SPDX-License-Identifier: AGPL-3.0-or-later
"""What customers type becomes a safe German prefix query, in either umlaut spelling."""

from __future__ import annotations

import pytest

from catalog.projections.queries import prefix_tsquery


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("wein", "wein:*"),
        ("Kaese", "(kaese:* | käse:*)"),
        ("Käse Schok", "(kaese:* | käse:*) & Schok:*"),
        ("Strasse", "(strasse:* | straße:*)"),
        ("'; DROP TABLE x; --", "DROP:* & TABLE:* & x:*"),
        ("!&|", None),
    ],
)
def test_search_words_become_prefixes_in_either_umlaut_spelling(typed: str, query: str | None) -> None:
    assert prefix_tsquery(typed) == query
