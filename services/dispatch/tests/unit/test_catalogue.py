# SPDX-License-Identifier: AGPL-3.0-or-later
"""Dispatch's wording: every message it writes (a courier's sign-in mail) has its German, and
the catalogue and the mail templates travel in the wheel."""

from __future__ import annotations

import dispatch
from tests.support.catalogues import assert_catalogue_in_the_wheel, assert_every_message_translated


def test_every_message_is_in_the_german_catalogue_translated() -> None:
    """A sentence added without its German fails here: run ``make translations``, translate."""
    assert_every_message_translated(dispatch, one_of_them="Hello %(name)s,")


def test_the_catalogue_is_package_data_of_the_wheel() -> None:
    assert_catalogue_in_the_wheel(dispatch)
