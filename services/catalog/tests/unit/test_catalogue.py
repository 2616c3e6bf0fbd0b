# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's wording: every message it writes (the directory's notes, a merchant's sign-in
mail) has its German, and the catalogue and the mail templates travel in the wheel."""

from __future__ import annotations

import catalog
from tests.support.catalogues import assert_catalogue_in_the_wheel, assert_every_message_translated


def test_every_message_is_in_the_german_catalogue_translated() -> None:
    """A sentence added without its German fails here: run ``make translations``, translate."""
    assert_every_message_translated(catalog, one_of_them="temporarily closed: %(note)s")


def test_the_catalogue_is_package_data_of_the_wheel() -> None:
    assert_catalogue_in_the_wheel(catalog)
