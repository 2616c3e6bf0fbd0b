# SPDX-License-Identifier: AGPL-3.0-or-later
"""What every PDF here shares: paragraph styles, margins, the build in reportlab's invariant mode."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
)

from downtown_events.runtime.pdf_text import SANS, SANS_BOLD, draw_string, register_fonts

register_fonts()  # the styles here name the kit's fonts, resolved as each paragraph is made
_MARGIN = 20 * mm
_GREY = colors.HexColor("#555555")


def _style(name: str, size: float, **options: Any) -> ParagraphStyle:
    options.setdefault("leading", size * 1.25)
    return ParagraphStyle(name, fontName=options.pop("font", SANS), fontSize=size, **options)


# Shared by every document.
_LABEL = _style("label", 9, textColor=_GREY)
_H1 = _style("h1", 18, font=SANS_BOLD, spaceAfter=4 * mm)


def _build(
    story: list[Flowable],
    title: str,
    *,
    subject: str,
    language: str = "de-DE",
    running_head: str | None = None,
    page_label: Callable[[int], str] | None = None,
) -> bytes:
    """``story`` as an A4 PDF; with ``running_head`` every page carries it at its top and
    ``page_label(number)`` (the reader's "Page 2") at its foot."""
    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title=title,
        subject=subject,
        author="Downtown",
        creator="Downtown vouchers",
        lang=language,
        invariant=True,
    )
    frame = Frame(_MARGIN, _MARGIN, A4[0] - 2 * _MARGIN, A4[1] - 2 * _MARGIN, id="page", showBoundary=0)
    on_page = _page_decoration(running_head, page_label or str) if running_head else None
    document.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=on_page or _nothing)])
    document.build(story)
    return buffer.getvalue()


def _page_decoration(running_head: str, page_label: Callable[[int], str]) -> Callable[[Canvas, BaseDocTemplate], None]:
    def decorate(canvas: Canvas, document: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFillColor(_GREY)
        draw_string(canvas, _MARGIN, A4[1] - _MARGIN / 2, running_head, SANS, 7.5)  # names a merchant
        draw_string(canvas, A4[0] - _MARGIN, _MARGIN / 2, page_label(document.page), SANS, 7.5, align="right")
        canvas.restoreState()

    return decorate


def _nothing(canvas: Canvas, document: BaseDocTemplate) -> None:
    """Voucher pages carry nothing beyond their content."""
