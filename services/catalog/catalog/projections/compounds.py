# SPDX-License-Identifier: AGPL-3.0-or-later
"""German compounds split into the words they are made of: "Bügelschloss" -> bügel, schloss.

German writes compounds as one word, and PostgreSQL's German stemmer keeps them whole, so a
customer typing "Schloss" never found the "Bügelschloss". The parts are found here, in
Python, when the projection writes an offer's search document and when a query is read, so
that no dictionary file has to be installed into the database server (a managed PostgreSQL
has no writable ``tsearch_data``; decision 37).

The method is Koehn and Knight's (2003, "Empirical Methods for Compound Splitting"): of all
ways to cut a word into known words, take the one whose parts are most frequent on average
(the geometric mean of their frequencies, which is the mean of their Zipf values), and only
if that beats the word itself, by a margin. So "Spätburgunder" (Zipf 2.6) splits into
"spät" (4.8) and "burgunder" (2.9), while "Schokolade" (4.2) stays whole although
"schoko" and "lade" are words too (3.4 and 3.9). Frequencies are wordfreq's German list,
pinned with the package: the same word always splits the same way, so a rebuild from the
log writes the very rows the live projection wrote.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from functools import cache, lru_cache

import wordfreq

_KNOWN_FROM = 200
"""Words rarer than Zipf 2.0 (once in 100 million words) are not taken as parts: the long
tail of the list is names, typos and foreign words. In centi-Zipf, as the list is kept."""
_MARGIN = 50
"""How much more frequent (in centi-Zipf) the parts must be than the whole word: a word
that is itself common ("Verkauf" 4.6 against "ver" 4.0 and "kauf" 4.7) is not cut."""
_MIN_PART = 3
_PART_FLOOR = {3: 350, 4: 300}
"""The least frequency (centi-Zipf) of a part of three and of four letters."""
_SPLIT_FROM = 2 * _MIN_PART
_MAX_LENGTH = 40  # longer "words" are codes or garbage; cutting them costs more than it finds
_MAX_PARTS = 3  # at the top: each part is cut again on its own
_LINKS = ("", "s", "es", "n", "en", "e", "er", "ens")
"""Linking elements between two parts: Geburtstag-s-kuchen, Orange-n-saft, Kind-er-wagen."""
_ELIDED = ("", "e")
"""A first part may have lost its final e: Schul(e)buch, Erdbeer(e)kuchen."""
_STOP_WORDS = (
    "aber alle als also ander andere auch auf aus bei bin bis bist da damit dann der den des dem die das dass "
    "dazu dein denn derer dessen dich dir dies diese doch dort durch ein eine einem einen einer eines einig "
    "euer für gegen hab habe haben hat hatte hier hin hinter ich ihm ihn ihr ihre im in ins ist jede jene "
    "jetzt kann kein keine man manche mein meine mich mir mit muss nach nicht nichts noch nun nur ob oder ohne "
    "sehr sein seine sich sie sind so solche soll sondern sonst über um und uns unser unter viel vom von vor "
    "war was weg weil weiter welche wenn werde wie wieder will wir wird wo zu zum zur zwar zwischen"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())
"""The short ones of PostgreSQL's German stop words: it drops them from documents anyway."""
_NOT_PARTS = STOP_WORDS | {"ver", "ent", "zer", "emp", "miss"}
"""Stop words and the verb prefixes that wordfreq counts as words of their own: never a part."""
_WORD = re.compile(r"[^\W\d_]+")


@cache
def _frequencies() -> dict[str, int]:
    """Known German words (casefolded, as wordfreq keeps them) -> centi-Zipf.

    A word clearly more frequent in English than in German ("under", "beer") is left out:
    English in German texts is mostly names and loans, and as a part it cut "Burgunder"
    into "burg" and "under". Words both languages use ("hand") stay. Loaded once per
    process (about a second, 15 MB for the 170,000 words kept); wordfreq's own cache of the
    whole lists (50 MB each) is dropped after.
    """
    known = _centi_zipfs("de")
    english = _centi_zipfs("en", among=known)
    wordfreq.get_frequency_list.cache_clear()
    return {word: zipf for word, zipf in known.items() if english.get(word, 0) <= zipf + _MARGIN}


def _centi_zipfs(language: str, among: Container[str] | None = None) -> dict[str, int]:
    """The list's words of letters only (``among`` them, if given) -> centi-Zipf."""
    words: dict[str, int] = {}
    for rank, bucket in enumerate(wordfreq.get_frequency_list(language, "large")):
        centi_zipf = 900 - rank  # the list is kept in buckets of one centibel, most frequent first
        if centi_zipf < _KNOWN_FROM:
            break
        # isalpha: what _WORD matches, three times as fast over 600,000 words
        words.update((word, centi_zipf) for word in bucket if (word in among if among else word.isalpha()))
    return words


def load() -> None:
    """Load the word list now rather than in the first search or batch that needs it."""
    _frequencies()


def _zipf(word: str) -> int:
    return _frequencies().get(word.casefold(), 0)


def _known_part(word: str) -> int:
    """A word's frequency as a part, or 0: a short string turns up inside longer words by
    chance ("tte", "amo"), so the shorter a part, the more common it must be to count."""
    if word in _NOT_PARTS or len(word) < _MIN_PART:
        return 0
    zipf = _zipf(word)
    return zipf if zipf >= _PART_FLOOR.get(len(word), _KNOWN_FROM) else 0


def _first_part(candidate: str) -> tuple[str, int] | None:
    """The known word a first part stands for (itself, or with its elided e), and its frequency."""
    for elided in _ELIDED:
        if zipf := _known_part(candidate + elided):
            return candidate + elided, zipf
    return None


def _cuts(word: str, parts_left: int) -> Iterator[list[tuple[str, int]]]:
    """Every way to write ``word`` as known parts (with linking elements between them)."""
    if whole := _known_part(word):
        yield [(word, whole)]
    if parts_left < 2:
        return
    for end in range(_MIN_PART, len(word) - _MIN_PART + 1):
        first = _first_part(word[:end])
        if first is None:
            continue
        rest = word[end:]
        for link in _LINKS:
            if rest.startswith(link) and len(rest) - len(link) >= _MIN_PART:
                for tail in _cuts(rest[len(link) :], parts_left - 1):
                    yield [first, *tail]


@lru_cache(maxsize=65_536)
def cut_word(word: str) -> tuple[str, ...]:
    """The parts one word is made of, lower case (``()`` when it is not a compound or not known).

    Of the cuts into parts that are on average more frequent than the word itself, by a
    margin, the one with the fewest parts wins (then the most frequent): "Rotweinglas" is
    rotwein + glas, not rot + wein + glas. Cached: titles and queries repeat their words.
    """
    lower = word.lower()
    if not _SPLIT_FROM <= len(lower) <= _MAX_LENGTH or not _WORD.fullmatch(lower):
        return ()
    threshold = _zipf(lower) + _MARGIN
    best: tuple[int, float, tuple[str, ...]] = (0, 0.0, ())
    for cut in _cuts(lower, _MAX_PARTS):
        score = sum(zipf for _, zipf in cut) / len(cut)
        if len(cut) >= 2 and score > threshold and (not best[2] or (-len(cut), score) > best[:2]):
            best = (-len(cut), score, tuple(part for part, _ in cut))
    return best[2]


@lru_cache(maxsize=65_536)
def split_word(word: str) -> tuple[str, ...]:
    """Every part of a word, each followed by its own parts: "Rotweinglas" -> rotwein,
    rot, wein, glas. What a search document adds so that "Wein" finds the "Rotweinglas"."""
    return tuple(dict.fromkeys(piece for part in cut_word(word) for piece in (part, *split_word(part))))


@lru_cache(maxsize=16_384)
def compound_parts(text: str | None) -> str:
    """The parts of every compound in a text, space-separated, each once, in order of
    appearance: what the search document adds to the words themselves. Cached whole too:
    a rebuild meets the same categories and titles again and again."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text or ""):
        if len(word) >= _SPLIT_FROM:
            seen.update(dict.fromkeys(split_word(word)))
    return " ".join(seen)
