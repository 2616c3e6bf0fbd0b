# SPDX-License-Identifier: AGPL-3.0-or-later
"""Marking a sentence for the catalogue where it is defined, translated where it is shown."""


def N_(text: str) -> str:
    """The text itself: ``make translations`` extracts what this marks (the keyword ``N_``)."""
    return text
