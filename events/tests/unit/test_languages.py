# SPDX-License-Identifier: Apache-2.0
"""Which of a service's languages a request asks for (Accept-Language)."""

from __future__ import annotations

import pytest

from downtown_events.runtime.http.languages import preferred_language

OFFERED = ("de", "en")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "de"),
        ("", "de"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("de-AT, en;q=0.5", "de"),
        ("fr-FR, en;q=0.8, de;q=0.9", "de"),
        ("fr, it", "de"),  # nothing offered: the default
        ("*", "de"),
        ("en;q=0, de;q=0.1", "de"),  # q=0: not wanted at all
        ("EN-us", "en"),
        ("en;q=0.5, de;q=0.5", "en"),  # a tie: the header's order
        ("x" * 2000 + ",en", "de"),  # an oversized header is read only so far
        ("en;q=abc, de", "de"),  # malformed ranges count for nothing
    ],
)
def test_the_language_asked_for_among_those_offered(header: str | None, expected: str) -> None:
    assert preferred_language(header, OFFERED, "de") == expected
