# SPDX-License-Identifier: Apache-2.0
"""Request headers every service's creating routes read the same way."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

_KEY = {"alias": "Idempotency-Key", "min_length": 8, "max_length": 200, "pattern": r"^[!-~]+$"}

IdempotencyKey = Annotated[
    str | None,
    Header(
        **_KEY,
        description="A new random key (e.g. a UUID) per request; send the same key when retrying the same "
        "request: it then creates nothing twice. Reusing a key for a different request is refused (422).",
    ),
]
RequiredIdempotencyKey = Annotated[
    str,
    Header(
        **_KEY,
        description="Required: a new random key (e.g. a UUID) per request; a retry with the same key does "
        "the work once and answers with the first result. Reusing a key for a different request is refused.",
    ),
]
