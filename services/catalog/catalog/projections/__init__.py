# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's read models, registered under the ``downtown.projections`` entry point."""

from catalog.projections.delivery_terms import DELIVERY_TERMS
from catalog.projections.town_catalog import TownCatalog
from catalog.projections.town_directory import TownDirectory

PROJECTIONS = [TownCatalog(), TownDirectory(), DELIVERY_TERMS]

__all__ = ["PROJECTIONS", "TownCatalog", "TownDirectory"]
