# SPDX-License-Identifier: Apache-2.0
"""Request fields every service's API reads the same way."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from downtown_events.catalog import EMAIL_PATTERN
from downtown_events.text import SingleLine

_EMAIL = re.compile(EMAIL_PATTERN)


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise PydanticCustomError("email", "this is not an e-mail address; write it like anna@example.de")
    return value


Email = Annotated[
    SingleLine,
    AfterValidator(_email),
    Field(max_length=254, json_schema_extra={"pattern": EMAIL_PATTERN}, examples=["anna@example.de"]),
]
"""An e-mail address, refused with a sentence a person understands (not the pattern)."""
