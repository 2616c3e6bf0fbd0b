# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant programme's name is compared with the town's by a key: compatibility forms,
case, look-alike letters and everything but letters and digits folded away."""

from __future__ import annotations

import pytest

from vouchers.domain.errors import InvalidChange
from vouchers.domain.programme_names import ReservedNames, name_key

TOWN = ReservedNames.of(["Münsteraner Stadtgutschein", "Schöppinger Taler"], ["Stadtgutschein", "City-Gutschein"])


@pytest.mark.parametrize(
    "taken",
    [
        "Münsteraner Stadtgutschein",
        "MÜNSTERANER STADTGUTSCHEIN",
        "Münsteraner Stadt-Gutschein",
        "ＭÜＮＳＴＥＲＡＮＥＲ ＳＴＡＤＴＧＵＴＳＣＨＥＩＮ",  # fullwidth
        "Stаdtgutschein",  # a Cyrillic а
        "Unser S t a d t g u t s c h e i n",
        "Citygutschein Plus",
        "Schöppinger-Taler!",
    ],
)
def test_the_towns_names_are_the_towns_however_they_are_written(taken: str) -> None:
    with pytest.raises(InvalidChange, match="the town's name"):
        TOWN.ensure_free(taken)


@pytest.mark.parametrize("free", ["Gutschein Buchhandlung Lesezeichen", "Weingutschein", "Stadtbäckerei-Gutschein"])
def test_a_shops_own_name_is_free(free: str) -> None:
    TOWN.ensure_free(free)


def test_a_name_without_letters_or_digits_is_no_name() -> None:
    with pytest.raises(InvalidChange, match="letters or digits"):
        TOWN.ensure_free("— · —")


def test_the_key_folds_case_forms_and_look_alikes() -> None:
    assert name_key("Straße") == name_key("STRASSE") == "strasse"
    assert name_key("ﬁne Ｗｅｉｎｅ") == "fineweine"
    assert name_key("Рrеsѕе") == name_key("Presse")  # Cyrillic Р, е, ѕ
