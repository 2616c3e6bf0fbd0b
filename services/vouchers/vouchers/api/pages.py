# SPDX-License-Identifier: AGPL-3.0-or-later
"""Where a page of a list ended, as an opaque cursor a client sends back for the next page.

A list ordered by (name, id) continues after the last (name, id) it showed: the next page is
right however many rows were added or removed before it meanwhile, which an offset is not.
The cursor is that pair, as URL-safe base64 JSON; it is the client's to send back, not a
secret, and one that does not decode is refused as bad input (422).
"""

from __future__ import annotations

import base64
import binascii
import json
from uuid import UUID

from vouchers.domain.errors import InvalidChange


def encode_cursor(name: str, row_id: UUID) -> str:
    raw = json.dumps([name, str(row_id)], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, row_id = json.loads(raw)
        if not isinstance(name, str) or "\x00" in name:  # PostgreSQL text holds no NUL
            raise ValueError("the name is not text")
        name.encode()  # a lone surrogate is no text PostgreSQL takes either (UnicodeEncodeError)
        return name, UUID(row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, AttributeError) as error:
        raise InvalidChange("this is not a cursor a page of this list gave; start from the first page") from error
