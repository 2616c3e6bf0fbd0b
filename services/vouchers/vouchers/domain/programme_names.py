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

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from vouchers.domain.errors import InvalidChange

# Cyrillic and Greek letters drawn like Latin ones: the same table as the kit's canonical
# e-mail addresses (downtown_events.runtime.addresses), which the domain may not import.
_LOOK_ALIKES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m",
        "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q",
        "ԝ": "w", "һ": "h", "ӏ": "l", "ɡ": "g",
        "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
        "χ": "x", "ω": "w",
    }
)  # fmt: skip


def name_key(name: str) -> str:
    """What a name is compared by (see the module's docstring)."""
    folded = unicodedata.normalize("NFKC", name).casefold().translate(_LOOK_ALIKES)
    return "".join(character for character in folded if character.isalnum())


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
