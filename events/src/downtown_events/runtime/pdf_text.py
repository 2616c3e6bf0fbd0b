# SPDX-License-Identifier: Apache-2.0
"""Text in PDFs in every script a town's people write: the fonts the documents embed, and
each string split into runs a font can draw.

Helvetica, the PDF standard font, has Latin-1 and nothing more: a buyer called Иван, 王小明
or "Café 😀" printed as ■■■ on an invoice that § 14 UStG wants to name them in full. The
documents therefore embed TrueType fonts vendored in ``runtime/fonts`` (their README says
where they come from and under which licence): DejaVu Sans, regular and bold, for Latin,
Greek, Cyrillic, symbols and some emoji, and Droid Sans Fallback for Chinese, Japanese and
Korean. The same files on every machine make the same document the same bytes everywhere.

reportlab draws a run of text in one font and has no fallback of its own, so
:func:`font_runs` picks, character by character, the first font of the chain that has the
glyph: the style's own font where it can, the other where it must. A character no font has
(a colour emoji such as 🦄) becomes one visible U+FFFD, never an empty box; the joiners,
variation selectors and skin tones of such an emoji go with it. :func:`markup` gives the
runs as paragraph markup for platypus, :func:`draw_string` draws them on a canvas.

Not done: right-to-left scripts (Hebrew, Arabic) print their letters left to right and,
for Arabic, unjoined; no vendored font has an italic, so italics (``<i>``) are Helvetica
Oblique and meant for Downtown's own texts, never for what someone typed.
"""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

SANS = "DowntownSans"
SANS_BOLD = "DowntownSans-Bold"
CJK = "DowntownCJK"
REPLACEMENT = "\ufffd"
"""What a character no embedded font can draw prints as (DejaVu Sans has it)."""

FONT_DIR = Path(__file__).with_name("fonts")
_FILES = {SANS: "DejaVuSans.ttf", SANS_BOLD: "DejaVuSans-Bold.ttf", CJK: "DroidSansFallback.ttf"}
_CHAINS = {SANS: (SANS, CJK), SANS_BOLD: (SANS_BOLD, CJK), CJK: (CJK, SANS)}
"""Per font a document names, the fonts tried in turn for each character (CJK has no bold)."""
_ZERO_WIDTH_JOINER = 0x200D
_EMOJI_PARTS = frozenset(
    {
        0x200D,  # zero width joiner
        0x20E3,  # combining enclosing keycap
        *range(0xFE00, 0xFE10),  # variation selectors (VS16 asks for the emoji form)
        *range(0x1F3FB, 0x1F400),  # skin tone modifiers
        *range(0xE0020, 0xE0080),  # tag characters (subdivision flags)
    }
)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)
_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the embedded fonts with reportlab (once per process; safe from threads).
    A paragraph style naming one is resolved when the paragraph is made, so a module that
    defines such styles calls this at import. ``DowntownSans`` becomes a family whose bold is
    ``DowntownSans-Bold``, so ``<b>`` works in its paragraphs, and ``<i>`` is Helvetica's."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name, file in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
        addMapping(SANS, 0, 0, SANS)
        addMapping(SANS, 1, 0, SANS_BOLD)
        addMapping(SANS, 0, 1, "Helvetica-Oblique")
        addMapping(SANS, 1, 1, "Helvetica-BoldOblique")
        # addMapping also maps each font back to its family: Helvetica's obliques stay Helvetica's.
        addMapping("Helvetica", 0, 1, "Helvetica-Oblique")
        addMapping("Helvetica", 1, 1, "Helvetica-BoldOblique")
        ttfonts.makeToUnicodeCMap = _to_unicode_cmap
        _registered = True


def font_runs(text: str, font: str = SANS) -> list[tuple[str, str]]:
    """``text`` as (font, text) runs in order, each drawable by its font. Characters no font
    has become :data:`REPLACEMENT` in ``font``, one per emoji sequence (a ZWJ sequence, a
    flag); the joiners, variation selectors and modifiers of emoji are left out, as
    reportlab would draw them as nothing or as a box."""
    glyphs = _glyphs(font)
    runs: list[tuple[str, str]] = []
    replaced = joining = flag_open = False
    for character in text:
        point = ord(character)
        if point in _EMOJI_PARTS:
            if point == _ZERO_WIDTH_JOINER:
                joining = replaced
            continue
        chosen = next((name for name, has in glyphs if point in has), None)
        if chosen is None and unicodedata.category(character) == "Cc":
            chosen = runs[-1][0] if runs else font  # a newline or tab: the markup's business
        if chosen is not None:
            _append(runs, chosen, character)
            replaced = joining = flag_open = False
            continue
        flag = point in _REGIONAL_INDICATORS
        if replaced and (joining or (flag and flag_open)):
            joining = flag_open = False  # the rest of the sequence the replacement stands for
            continue
        if unicodedata.category(character) in ("Mn", "Me"):
            continue  # a mark no font has: the letter it sits on is still there
        _append(runs, font, REPLACEMENT)
        replaced, joining, flag_open = True, False, flag
    return runs


def markup(text: str, font: str = SANS) -> str:
    """``text`` as paragraph markup for a style whose font is ``font``: escaped (it can only
    ever mean that text), with the runs another font draws wrapped in ``<font face=…>``."""
    return "".join(
        escape(run) if name == font else f'<font face="{name}">{escape(run)}</font>'
        for name, run in font_runs(text, font)
    )


def string_width(text: str, font: str, size: float) -> float:
    """The width ``text`` takes when drawn with :func:`draw_string`."""
    return sum(pdfmetrics.stringWidth(run, name, size) for name, run in font_runs(text, font))


def draw_string(
    canvas: Any,
    x: float,
    y: float,
    text: str,
    font: str = SANS,
    size: float = 10,
    *,
    align: Literal["left", "right", "centre"] = "left",
) -> None:
    """Draw ``text`` on a reportlab canvas from ``x`` (its left, right or centre), each run in
    a font that has its glyphs; the canvas's font is left as the last run set it."""
    runs = font_runs(text, font)
    width = sum(pdfmetrics.stringWidth(run, name, size) for name, run in runs)
    x -= {"left": 0.0, "right": width, "centre": width / 2}[align]
    for name, run in runs:
        canvas.setFont(name, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, name, size)


def _glyphs(font: str) -> list[tuple[str, Any]]:
    """The chain of ``font`` with each member's character map (code point → glyph)."""
    if font not in _CHAINS:
        raise ValueError(f"{font} is not one of the embedded fonts {sorted(_CHAINS)}")
    register_fonts()
    return [(name, pdfmetrics.getFont(name).face.charToGlyph) for name in _CHAINS[font]]


def _append(runs: list[tuple[str, str]], font: str, text: str) -> None:
    if runs and runs[-1][0] == font:
        runs[-1] = (font, runs[-1][1] + text)
    else:
        runs.append((font, text))


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode map of a font subset, with characters beyond U+FFFF written as
    UTF-16 (a surrogate pair) as the PDF reference asks: reportlab writes their code point
    as it is, so a reader copying DejaVu's 😀 (U+1F600) out of the PDF got U+1F60 "ὠ".
    Characters of the Basic Multilingual Plane give exactly what reportlab's own gives."""
    mapped = [f"<{index:02X}> <{_utf16_hex(point)}>" for index, point in enumerate(subset)]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *mapped,
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


def _utf16_hex(point: int) -> str:
    if point <= 0xFFFF:
        return f"{point:04X}"
    return chr(point).encode("utf-16-be").hex().upper()
