# SPDX-License-Identifier: AGPL-3.0-or-later
"""German compounds are cut into the words a customer types; other words stay whole."""

from __future__ import annotations

import pytest

from catalog.projections.compounds import compound_parts, cut_word, split_word
from catalog.projections.queries import prefix_tsquery


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("Bügelschloss", ("bügel", "schloss")),
        ("Spätburgunder", ("spät", "burgunder")),
        ("Fahrradschloss", ("fahrrad", "schloss")),
        ("Geburtstagskuchen", ("geburtstag", "kuchen")),  # a linking s
        ("Orangensaft", ("orange", "saft")),  # a linking n
        ("Englischnachhilfe", ("englisch", "nachhilfe")),
        ("Rotweinglas", ("rotwein", "glas")),  # the fewest parts, not rot + wein + glas
    ],
)
def test_a_compound_is_cut_into_its_parts(word: str, parts: tuple[str, ...]) -> None:
    assert cut_word(word) == parts


@pytest.mark.parametrize(
    "word",
    [
        "Schokolade",  # schoko + lade are words, but less common than Schokolade
        "Tomate",  # tom + ate
        "Verkauf",  # a verb prefix is no part
        "Urlaub",
        "Bergamotte",  # berg + a string that is no word
        "Burgunder",  # burg + "under" (an English word)
        "Ananas",
        "Mandel",  # man is a stop word
        "Schloss",
        "Riesling",
        "Wein",  # too short to be two words of three letters
        "Kräuter2024",  # not a word
    ],
)
def test_words_that_are_no_compounds_stay_whole(word: str) -> None:
    assert cut_word(word) == ()


def test_the_parts_of_parts_are_found_too() -> None:
    assert split_word("Rotweinglas") == ("rotwein", "rot", "wein", "glas")


def test_a_text_gives_each_part_once_in_order() -> None:
    text = "Bügelschloss und Fahrradschloss, dazu ein Spätburgunder (0,75 l)"

    assert compound_parts(text) == "bügel schloss fahrrad spät burgunder"
    assert compound_parts("") == compound_parts(None) == ""


def test_a_compound_query_also_finds_its_parts_apart() -> None:
    query = prefix_tsquery("Fahrradschloss")

    assert query == "(fahrradschloss:* | fahrradschloß:* | fahrrad & schloss:* | fahrrad & schloß:*)"


def test_a_compound_typed_without_umlauts_is_cut_in_either_spelling() -> None:
    query = prefix_tsquery("Spaetburgunder")

    assert query == "(spaetburgunder:* | spätburgunder:* | spaet & burgunder:* | spät & burgunder:*)"
