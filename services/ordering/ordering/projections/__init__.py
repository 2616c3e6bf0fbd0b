# SPDX-License-Identifier: AGPL-3.0-or-later
"""The ordering read models, registered under the ``downtown.projections`` entry point."""

from ordering.projections.catalog_replica import CatalogReplica
from ordering.projections.orders import OrderOverview

PROJECTIONS = [CatalogReplica(), OrderOverview()]

__all__ = ["PROJECTIONS", "CatalogReplica", "OrderOverview"]
