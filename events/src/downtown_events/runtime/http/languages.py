# SPDX-License-Identifier: Apache-2.0
"""The language a person reads, from what their browser or app says (``Accept-Language``).

A service asks for a language where it records what a person will later read (a buyer's
mails): a field of the request wins; without one the ``Accept-Language`` header decides
among the languages the service writes (its catalogues); without either, the town's first
language. Ranges are compared by their primary tag (``de-AT`` is ``de``), weights
(``;q=0.8``) are honoured, ``*`` and anything malformed count for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_RANGE = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*)?$")
MAX_HEADER = 1000


def preferred_language(header: str | None, offered: Sequence[str], default: str) -> str:
    """The first of ``offered`` the header weighs highest (ties: the header's order), or
    ``default`` when it names none of them."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((header or "")[:MAX_HEADER].split(",")):
        match = _RANGE.match(part)
        if match is None:
            continue
        language, weight = match.group(1).lower(), float(match.group(2) or 1)
        if language not in offered or weight <= 0:
            continue
        if best is None or (weight, -position) > (best[0], best[1]):
            best = (weight, -position, language)
    return best[2] if best else default
