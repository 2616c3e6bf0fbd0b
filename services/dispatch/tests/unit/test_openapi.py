# SPDX-License-Identifier: AGPL-3.0-or-later
"""Dispatch's OpenAPI document names the 404 of the operations that look an id up from their
body (found by the schemathesis fuzz test, tests/e2e/test_dispatch_api_fuzz.py): a client
generated from the document would otherwise not expect it."""

from __future__ import annotations

import pytest

from dispatch.api.app import create_app
from dispatch.settings import DispatchSettings

DOCUMENT = create_app(DispatchSettings(town="testtown", database_url="postgresql://localhost/unused")).openapi()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/delivery-terms"),  # a courier service the town does not have
        ("post", "/couriers/me/pickups"),  # a code of no order waiting for this courier
    ],
)
def test_an_id_looked_up_from_the_body_may_be_a_404(method: str, path: str) -> None:
    answers = DOCUMENT["paths"][path][method]["responses"]
    assert "404" in answers and "application/problem+json" in answers["404"]["content"]
