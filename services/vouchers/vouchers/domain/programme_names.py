# SPDX-License-Identifier: AGPL-3.0-or-later
"""Names a merchant's programme may not take: the town's.

A town voucher ("Münsteraner Stadtgutschein") is money the association stands behind; a
merchant's programme of the same name passes its own vouchers off as the town's, and five
hundred of them drown the real one in the list buyers choose from. So a merchant programme's
name may not contain a name of one of the town's programmes, nor a word that claims the
town's issue (``Stadtgutschein``, ``City-Gutschein`` …, the town's setting).

Names are compared by a key, not as typed: Unicode compatibility forms folded (NFKC, so
fullwidth letters and ligatures become plain ones), case folded (``ß`` as ``ss``), letters of
other scripts that are drawn like Latin ones mapped to those, and everything that is not a
letter or digit left out (``Stadt-Gutschein``, ``S t a d t gutschein``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from downtown_events.text import folded_for_comparison
from vouchers.domain.errors import InvalidChange


def name_key(name: str) -> str:
    """What a name is compared by (see the module's docstring)."""
    return "".join(character for character in folded_for_comparison(name) if character.isalnum())


@dataclass(frozen=True)
class ReservedNames:
    """The town's names: its programmes' and the words that claim its issue, as keys."""

    keys: frozenset[str] = frozenset()

    @classmethod
    def of(cls, town_programmes: Iterable[str], words: Iterable[str]) -> ReservedNames:
        return cls(frozenset(key for key in map(name_key, [*town_programmes, *words]) if key))

    def ensure_free(self, name: str) -> None:
        """Refuses a merchant programme's name that holds one of the town's."""
        key = name_key(name)
        if not key:
            raise InvalidChange("a programme's name needs letters or digits")
        if any(reserved in key for reserved in self.keys):
            raise InvalidChange(
                f"{name!r} is the town's name for its own vouchers; a merchant's programme is named for the shop "
                "(e.g. 'Gutschein Buchhandlung Lesezeichen')"
            )
