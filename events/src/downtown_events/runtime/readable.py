# SPDX-License-Identifier: Apache-2.0
"""Lists built from read models survive the one row that cannot be shown.

A read model holds whatever the log said, including what an older version of a service
accepted and a newer one would refuse. A list answers for everyone, so a row that fails
to convert is logged (with its key, for the platform team) and left out, rather than
turning the whole list into an error for every customer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


def each_readable(rows: Iterable[dict[str, Any]], build: Callable[[dict[str, Any]], T], *, key: str) -> list[T]:
    """``build(row)`` for every row it succeeds for; ``key`` names the column that identifies a row."""
    items: list[T] = []
    for row in rows:
        try:
            items.append(build(row))
        except Exception:
            log.exception("left an unreadable row out of a list", extra={"row_key": str(row.get(key))})
    return items
