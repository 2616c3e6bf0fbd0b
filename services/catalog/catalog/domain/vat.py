# SPDX-License-Identifier: AGPL-3.0-or-later
"""The VAT rate an offer is listed at when its merchant does not say: German law's default.

Germany taxes at 19 % (§ 12 Abs. 1 UStG) unless § 12 Abs. 2 reduces the rate to 7 %. For
goods that is mostly Anlage 2 to the UStG (Nr. 1 with Anlage 2); for services a short list of
its own. What a high street's shops sell falls under a handful of entries (7 %, with
examples of categories as merchants name them):

- food (Anlage 2 Nr. 1-35), not drinks other than milk and water, also food to take away:
  Lebensmittel, Bäckerei, Brot, Kuchen, Konditorei, Metzgerei, Fleisch, Wurst, Fisch, Käse,
  Obst, Gemüse, Feinkost, Hofladen, Honig, Schokolade, Süßwaren, Kaffeebohnen, Tee, Gewürze,
  Eier, Milch, Imbiss, Speisen;
- books, newspapers, magazines, sheet music and maps (Nr. 49; e-books and audiobooks § 12
  Abs. 2 Nr. 14): Buch, Bücher, Buchhandlung, Hörbuch, Zeitung, Zeitschrift, Noten, Landkarte;
- flowers and plants (Nr. 6-9), seeds, animal feed (Nr. 37): Blumen, Blumenladen, Florist,
  Floristik, Pflanzen, Gärtnerei, Saatgut, Tierfutter, Futter;
- meals served (§ 12 Abs. 2 Nr. 15, since 1 January 2026; the drinks stay at 19 %):
  Restaurant, Gaststätte;
- services: admission to theatres, concerts, museums, cinemas (Nr. 7), short-term lodging
  (Nr. 11), local transport of people (Nr. 10): Theater, Konzert, Museum, Kino, Zirkus,
  Übernachtung, Hotel, Ferienwohnung, Taxi.

Everything else is 19 %: drinks (wine, beer, spirits, juice, coffee to drink), clothes,
bicycles, tools, and services such as a hairdresser's, a repair, tutoring or music for a
wedding. A category is free text, so it is matched by its words: a word that is or ends
with one of the words above ("Kochbücher", "Vollkornbrot"), since a German compound names
its kind last ("Brotdose" is a tin, "Teekanne" a pot: 19 %). This is a default, not tax
advice: the merchant knows its goods and sets the rate when listing, or changes it.
"""

from __future__ import annotations

import re

from downtown_events.catalog import OfferKind, VatPercent

STANDARD: VatPercent = 19
REDUCED: VatPercent = 7

REDUCED_GOODS: frozenset[str] = frozenset(
    {
        # food (Anlage 2 Nr. 1-35) and food to take away
        "lebensmittel", "bäckerei", "bäcker", "backwaren", "brot", "brötchen", "kuchen", "torte", "konditorei",
        "metzgerei", "fleischerei", "fleisch", "wurst", "fisch", "käse", "obst", "gemüse", "feinkost",
        "hofladen", "honig", "marmelade", "schokolade", "pralinen", "süßwaren", "kaffeebohnen", "rösterei",
        "tee", "gewürze", "eier", "milch", "nudeln", "imbiss", "speisen", "gerichte", "restaurant",
        "gaststätte",
        # books, newspapers, printed music and maps (Nr. 49), e-books and audiobooks (Nr. 14)
        "buch", "bücher", "buchhandlung", "hörbuch", "zeitung", "zeitungen", "zeitschrift", "zeitschriften",
        "noten", "landkarte", "landkarten",
        # flowers and plants (Nr. 6-9), seeds, animal feed (Nr. 37)
        "blumen", "blumenladen", "florist", "floristik", "pflanzen", "gärtnerei", "saatgut", "tierfutter", "futter",
    }
)  # fmt: skip
"""Words of a goods category taxed at 7 % (see the module's table)."""

REDUCED_SERVICES: frozenset[str] = frozenset(
    {
        "theater", "konzert", "konzerte", "museum", "kino", "zirkus",  # admission (Nr. 7)
        "übernachtung", "hotel", "ferienwohnung",  # short-term lodging (Nr. 11)
        "taxi",  # local transport of people (Nr. 10)
        "restaurant", "gaststätte",  # meals served (Nr. 15, since 2026)
    }
)  # fmt: skip
"""Words of a service category taxed at 7 %; any other service is taxed at 19 %."""

_WORD = re.compile(r"\w+")


def default_vat_percent(kind: OfferKind, category: str) -> VatPercent:
    """The rate German law gives an offer of ``kind`` in ``category`` (see the module's table)."""
    reduced = REDUCED_GOODS if kind == "product" else REDUCED_SERVICES
    words = _WORD.findall(category.casefold())
    return REDUCED if any(_names(word, reduced) for word in words) else STANDARD


def _names(word: str, reduced: frozenset[str]) -> bool:
    """``word`` is one of ``reduced`` or a compound ending in one ("Kochbücher")."""
    return any(word.endswith(entry) for entry in reduced)
