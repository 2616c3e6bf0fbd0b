# SPDX-License-Identifier: AGPL-3.0-or-later
"""A PDF's text as its reader's PDF program extracts it (pypdfium2), for golden files."""

from __future__ import annotations

import pypdfium2


def pdf_text(pdf: bytes) -> str:
    """Every page's text, line ends as ``\\n``, pages marked, one line end at the end."""
    pages = []
    for number, page in enumerate(pypdfium2.PdfDocument(pdf), start=1):
        text = str(page.get_textpage().get_text_range()).replace("\r\n", "\n").replace("\r", "\n")
        pages.append(f"--- page {number} ---\n{text.rstrip()}")
    return "\n".join(pages) + "\n"
