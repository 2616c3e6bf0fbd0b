# SPDX-License-Identifier: AGPL-3.0-or-later
"""The dispatch service's read models, registered under the ``downtown.projections`` entry point."""

from dispatch.projections.board import Board
from dispatch.projections.couriers import CourierProjection
from dispatch.projections.order_jobs import OrderJobs
from dispatch.projections.statements import StatementsProjection
from downtown_events.runtime.delivery_terms import delivery_terms_replica
from downtown_events.runtime.merchant_replica import merchant_replica

MERCHANTS = merchant_replica("dispatch_merchants")
"""The catalog's merchants as this service knows them: the kit's replica (standing, contact, tokens)."""

COURIERS = CourierProjection()
"""Courier services, couriers, shifts and drop-outs (read with ``couriers.CourierRoster``)."""

DELIVERY_TERMS = delivery_terms_replica("dispatch_delivery_terms")
"""The town's terms as last published, read with ``DeliveryTermsReader(DELIVERY_TERMS.table)``:
jobs are judged by what customers were offered, the published event, not the stream."""

BOARD = Board()
"""Delivery jobs and tours, for the dispatcher's board, planning and the courier's tour."""

ORDER_JOBS = OrderJobs()
"""Which job an order rides in: what a courier's scan of an order's slip finds."""

STATEMENTS = StatementsProjection()
"""Per courier service and month: deliveries with who paid what, failed attempts and returns."""

PROJECTIONS = [MERCHANTS, COURIERS, DELIVERY_TERMS, BOARD, ORDER_JOBS, STATEMENTS]
