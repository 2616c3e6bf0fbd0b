# SPDX-License-Identifier: Apache-2.0
"""Text as people type it, made safe to store, search, print and publish.

Every text a client sends ends up in an event that is kept forever, in a read model that
every customer's list is built from, and on a topic that integrators parse. So text is
checked on the way in: control characters (NUL above all, which PostgreSQL refuses to
store), the invisible direction overrides that make "gpj.exe" read as "exe.jpg", lone
surrogates and unassigned noncharacters are refused with a reason; surrounding
whitespace is trimmed and the text put in Unicode NFC form, so "Käse" typed on two
keyboards is the same word. Only multi-line text keeps line breaks and tabs.

Use :data:`SingleLine` and :data:`MultiLine` in request schemas, together with the
usual ``Field(min_length=…, max_length=…)``: lengths are checked after trimming, so a
title of blanks is too short.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

# Direction overrides and isolates (Trojan Source, CVE-2021-42574) and the marks that
# steer them; ordinary right-to-left text needs none of them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_LINE_BREAKS = frozenset("\n\t")
# Trimmed from both ends: blanks and line breaks. Not str.strip()'s default, which also
# swallows the separator controls U+001C-U+001F that must be refused rather than hidden.
_TRIMMED = " \t\n\r" + "".join(
    chr(code) for code in range(0x80, 0x3001) if unicodedata.category(chr(code)) in {"Zs", "Zl", "Zp"}
)


def _normalised(value: Any) -> Any:
    """Trimmed and in NFC; line endings as ``\\n``. Non-strings are left to the type check."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip(_TRIMMED)


def _refusal(character: str) -> str | None:
    """Why ``character`` may not be part of a text, or None if it may."""
    if character in _BIDI_CONTROLS:
        return f"an invisible direction control U+{ord(character):04X}"
    category = unicodedata.category(character)
    if category == "Cc":
        return "a NUL character" if character == "\x00" else f"a control character U+{ord(character):04X}"
    if category == "Cs":
        return f"an unpaired surrogate U+{ord(character):04X}"
    if category == "Cn" and (0xFDD0 <= ord(character) <= 0xFDEF or ord(character) & 0xFFFE == 0xFFFE):
        return f"a noncharacter U+{ord(character):04X}"
    return None


def _check(value: str, allowed: frozenset[str]) -> str:
    for character in value:
        if character in allowed:
            continue
        reason = _refusal(character)
        if reason is not None:
            raise ValueError(f"contains {reason}; remove it and send plain text")
    return value


def check_single_line(value: str) -> str:
    """A name, title or note: no line breaks, tabs or other control characters."""
    return _check(value, frozenset())


def check_multi_line(value: str) -> str:
    """A description: line breaks and tabs allowed, other control characters not."""
    return _check(value, _LINE_BREAKS)


SingleLine = Annotated[str, BeforeValidator(_normalised), AfterValidator(check_single_line)]
MultiLine = Annotated[str, BeforeValidator(_normalised), AfterValidator(check_multi_line)]


# --- in events: what readers may rely on, and tolerance for what the log already holds -----

_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # keeps tab and line feed
LINE_PATTERN = r"^[^\u0000-\u001f\u007f]*$"
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b-\u001f\u007f]*$"


def _without(controls: re.Pattern[str]) -> Any:
    def drop(value: Any) -> Any:
        return controls.sub("", value) if isinstance(value, str) else value

    return drop


EventLine = Annotated[
    str, BeforeValidator(_without(_LINE_CONTROLS)), Field(json_schema_extra={"pattern": LINE_PATTERN})
]
"""A one-line text field of a published event. The schema promises no control characters
(what the API accepts); reading drops any that events written before the API refused them
still carry, so every reader of the contract sees the same text."""

EventText = Annotated[
    str, BeforeValidator(_without(_TEXT_CONTROLS)), Field(json_schema_extra={"pattern": TEXT_PATTERN})
]
"""A multi-line text field of a published event (tabs and line feeds allowed)."""

EventEmail = Annotated[str, BeforeValidator(_without(_LINE_CONTROLS))]
"""An e-mail address in an event; its pattern goes on the field, so it is checked too."""


# Letters of other scripts drawn like Latin ones (Unicode's confusables, the ones a name or an
# address can use to pass for another): mapped to the Latin letter they imitate.
_LOOK_ALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m",
        "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q",
        "ԝ": "w", "һ": "h", "ӏ": "l", "ɡ": "g",
        # Greek
        "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
        "χ": "x", "ω": "w",
    }
)  # fmt: skip


def folded_for_comparison(text: str) -> str:
    """``text`` as a key two spellings of one name share: compatibility forms folded (NFKC:
    fullwidth letters and ligatures become plain ones), case folded (``ß`` as ``ss``), and
    Cyrillic and Greek look-alikes mapped to the Latin letters they imitate. Only a key, never
    shown: it merges more than a reader would, which makes a cap or a reserved name stricter."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_LOOK_ALIKES)
