# SPDX-License-Identifier: AGPL-3.0-or-later
"""The ordering read models, registered under the ``downtown.projections`` entry point."""

from ordering.projections.catalog_replica import CatalogReplica
from ordering.projections.delivery_jobs import DeliveryJobs
from ordering.projections.delivery_terms import DELIVERY_TERMS
from ordering.projections.invoices import InvoiceLedger
from ordering.projections.orders import OrderOverview

PROJECTIONS = [CatalogReplica(), OrderOverview(), InvoiceLedger(), DELIVERY_TERMS, DeliveryJobs()]

__all__ = ["DELIVERY_TERMS", "PROJECTIONS", "CatalogReplica", "DeliveryJobs", "InvoiceLedger", "OrderOverview"]
