# SPDX-License-Identifier: Apache-2.0
"""The documents' fonts: every script a name is written in drawn by a font that has it, found
again in the PDF by a reader, and the same bytes for the same document."""

from __future__ import annotations

import hashlib
import io
import re

import pypdfium2
import pytest
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

from downtown_events.runtime.pdf_text import (
    CJK,
    FONT_DIR,
    REPLACEMENT,
    SANS,
    SANS_BOLD,
    draw_string,
    font_runs,
    markup,
    register_fonts,
    string_width,
)

NAMES = ["Иван Петров", "王小明", "김민준", "さくら", "Ελένη", "Café 😀", "Jörg Müller-Weiß"]


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("Иван Петров", [(SANS, "Иван Петров")]),
        ("王小明 & Co", [(CJK, "王小明"), (SANS, " & Co")]),
        ("Café 😀", [(SANS, "Café 😀")]),  # DejaVu Sans draws the emoticons block itself
        ("Einhorn 🦄!", [(SANS, f"Einhorn {REPLACEMENT}!")]),  # a colour-only emoji: one replacement
        ("👩\u200d👩\u200d👧 Familie", [(SANS, f"{REPLACEMENT} Familie")]),  # one per ZWJ sequence
        ("🇩🇪🇫🇷", [(SANS, REPLACEMENT * 2)]),  # one per flag
        ("1\ufe0f\u20e3 ❤\ufe0f", [(SANS, "1 ❤")]),  # variation selectors and keycaps draw nothing
        ("Zeile\nzwei", [(SANS, "Zeile\nzwei")]),
    ],
)
def test_each_character_goes_to_a_font_that_has_it(text: str, runs: list[tuple[str, str]]) -> None:
    assert font_runs(text) == runs


def test_bold_falls_back_to_the_regular_cjk_font_and_back() -> None:
    assert font_runs("Müller 王", SANS_BOLD) == [(SANS_BOLD, "Müller "), (CJK, "王")]
    assert font_runs("王 Müller", CJK) == [(CJK, "王 "), (SANS, "Müller")]
    with pytest.raises(ValueError, match="embedded fonts"):
        font_runs("x", "Helvetica")


def test_markup_means_only_the_text_and_names_the_fallback_font() -> None:
    assert markup("<b>Иван</b> & 王") == f'&lt;b&gt;Иван&lt;/b&gt; &amp; <font face="{CJK}">王</font>'
    assert markup("王", CJK) == "王"


def _paragraphs_pdf(names: list[str]) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    regular = ParagraphStyle("regular", fontName=SANS, fontSize=11)
    bold = ParagraphStyle("bold", fontName=SANS_BOLD, fontSize=11)
    story = [Paragraph(markup(name, style.fontName), style) for name in names for style in (regular, bold)]
    SimpleDocTemplate(buffer, invariant=True).build(story)
    return buffer.getvalue()


def _text(pdf: bytes) -> str:
    return "\n".join(str(page.get_textpage().get_text_range()) for page in pypdfium2.PdfDocument(pdf))


def test_a_pdf_with_names_in_every_script_embeds_the_fonts_and_reads_back() -> None:
    pdf = _paragraphs_pdf(NAMES)
    assert pdf.count(b"/FontFile2") == 3  # DejaVu Sans, its bold and Droid Sans Fallback, embedded
    embedded = set(re.findall(rb"/BaseFont /[A-Z]{6}\+([A-Za-z-]+)", pdf))
    assert {b"DejaVuSans", b"DejaVuSans-Bold", b"DroidSansFallback"} <= embedded
    text = _text(pdf)
    for name in NAMES:
        assert name in text  # the emoji too: its ToUnicode entry is UTF-16, not the bare code point
    assert "■" not in text and REPLACEMENT not in text


def test_the_same_document_gives_the_same_bytes_whatever_was_drawn_before() -> None:
    first = _paragraphs_pdf(NAMES)
    _paragraphs_pdf(["其他文件", "другой документ"])  # another document in between uses other glyphs
    assert _paragraphs_pdf(NAMES) == first


def test_a_canvas_draws_runs_side_by_side() -> None:
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=True)
    draw_string(canvas, 50, 700, "Abrechnung 王小明 · Иван", SANS, 9)
    draw_string(canvas, 550, 680, "Seite 1 🦄", SANS, 9, align="right")
    canvas.save()
    text = _text(buffer.getvalue())
    assert "Abrechnung 王小明 · Иван" in text and f"Seite 1 {REPLACEMENT}" in text
    assert string_width("王小明 Иван", SANS, 9) > string_width("Иван", SANS, 9) > 0


def test_the_vendored_fonts_are_the_debian_packages_files_unmodified() -> None:
    readme = (FONT_DIR / "README.md").read_text()
    sums = dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+\.ttf)$", readme, flags=re.MULTILINE)
    )
    assert set(sums) == {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DroidSansFallback.ttf"}
    for name, digest in sums.items():
        assert hashlib.sha256((FONT_DIR / name).read_bytes()).hexdigest() == digest, name
