# SPDX-License-Identifier: AGPL-3.0-or-later
"""What customers type becomes a safe German prefix query, in either umlaut spelling."""

from __future__ import annotations

import pytest

from catalog.projections.queries import fuzzy_words, prefix_tsquery


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


def test_the_typo_fallback_compares_the_words_that_carry_meaning() -> None:
    """Stop words are ignored by the full-text search too, and a word of one or two letters
    has too few trigrams to be alike anything."""
    assert fuzzy_words("Schlos für das Fahrad, ab 5 € – Fahrad") == ["schlos", "fahrad"]
    assert fuzzy_words("!&|") == []
