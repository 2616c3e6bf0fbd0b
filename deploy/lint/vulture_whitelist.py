# SPDX-License-Identifier: AGPL-3.0-or-later
"""What vulture (``make lint``) cannot see being used. Everything else it reports is dead code.

vulture reads the packages, never the tests, so a name is listed here only when something
outside them uses it: a framework that reads it by name, a reader of the published event
contracts, a serialised field, an operator, or tests alone (a fake, a check). Routes, typer
commands, pydantic validators and ``model_config`` are skipped by the Makefile's options
instead. Never executed: vulture only parses it.
"""

from types import SimpleNamespace

from reportlab.graphics.shapes import Drawing
from reportlab.pdfbase import ttfonts

from catalog.api.schemas import CatalogItem, CourierDeliveryOut, DirectoryEntry, MemberOut, MerchantOut
from dispatch.api.routes.board import JobOut
from dispatch.api.routes.statements import StatementOut
from dispatch.domain.tours import Plan
from downtown_events.catalog import RESERVATION_EVENTS, OfferPriceChanged, OfferVatRateChanged
from downtown_events.contract import EventRegistry
from downtown_events.dispatch import DeliveryJobDelivered
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.clock_file import set_clock
from downtown_events.runtime.http.app import Source
from downtown_events.runtime.mail_outbox import mail_outbox_counts, requeue_mail
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.merchant_replica import Standing
from downtown_events.runtime.pdf_text import string_width
from downtown_events.schemas import breaking_changes
from downtown_events.vouchers import VOUCHER_EVENTS, VoucherExpired
from downtown_web.routes.association_audit import Rebuild, ServiceRebuilds
from ordering.api.invoice_schemas import InvoiceSummaryOut
from ordering.api.quote_schemas import DeliverySlotOut
from ordering.api.schemas import ExpectedDeliveryOut, FiguresOut, OrderOut, OrderSummaryOut, SessionOut
from ordering.app.notifications import MailOrder
from ordering.domain.private_events import BasketCheckedOut, OrderCustomerRecorded
from vouchers.api.schemas import AuthorizationOut, ProgrammeOut, PurchaseOut, RedemptionOut, StatementLinks
from vouchers.domain.private_events import PurchaseCodesDelivered

# The published contracts: integrators read these fields and groupings; events are stored.
_ = (OfferPriceChanged.previous_price_cents, VoucherExpired.expired_on, CloudEvent.datacontenttype)
_ = OfferVatRateChanged.previous_vat_percent
_ = (RESERVATION_EVENTS, VOUCHER_EVENTS, EventRegistry.decode_ce_type)

# Private events: their fields are the stored record, read back as JSON.
_ = (OrderCustomerRecorded.delivery_note, BasketCheckedOut.checked_out_at, PurchaseCodesDelivered.delivered_at)

# Response fields: FastAPI serialises them; no Python code reads them by name.
_ = (CatalogItem.listed_at, DirectoryEntry.products, Source.licence)
_ = (MerchantOut.iban_grouped, CourierDeliveryOut.fee_kind)
_ = (MemberOut.suspension_reason, MemberOut.registered_at)  # the association's member list
_ = (OrderOut.left_to_pay_cents, OrderSummaryOut.pickup_starts_at)
_ = (SessionOut.customer_token, SessionOut.expires_in_seconds)
_ = (FiguresOut.goods_cents_confirmed, FiguresOut.voucher_cents_confirmed, FiguresOut.merchants_with_orders)
_ = (FiguresOut.since, ProgrammeOut.vat_note, PurchaseOut.pay_by)
_ = (AuthorizationOut.voucher_balance_cents, AuthorizationOut.voucher_expires_on, RedemptionOut.voucher_balance_cents)
_ = (StatementLinks.json_url, StatementLinks.csv_url, StatementLinks.pdf_url)  # a merchant's settlement links
_ = (StatementOut.customers_fees_cents, StatementOut.customers_fees, StatementOut.town_owes_cents)
_ = StatementOut.town_owes  # a courier service's monthly statement
_ = (JobOut.slot_starts, JobOut.arrives_from, JobOut.arrives_until, JobOut.door_pinned, JobOut.explanation)

# reportlab reads these attributes: a patched ToUnicode writer, a drawing's alignment.
_ = (ttfonts.makeToUnicodeCMap, Drawing.hAlign)

# Used by tests only: the kit's fake store (every port's contract suite runs on it), the
# published-schema compatibility check, and the kit's measure beside draw_string.
_ = (InMemoryEventStore, breaking_changes, string_width)
_ = set_clock  # how an end-to-end test moves a town's clock (DOWNTOWN_CLOCK_FILE)

# The kit's merchant replica: a service made from deploy/service-template answers with it.
_ = Standing.may_act_with_money

# Read by the association's audit page (web templates/association_audit.html), never by Python.
_ = (Rebuild.took, ServiceRebuilds.rebuilds)

# Read by the mail templates (ordering/templates/mail/_order.txt), never by Python.
_ = (MailOrder.merchant_address, MailOrder.delivery_to, MailOrder.video_only)

# The mail outbox's operator tools (see downtown_events/runtime/mail_outbox.py); not on the admin CLI yet.
_ = (mail_outbox_counts, requeue_mail)

# The merchant's invoice list (GET /merchants/me/invoices) is read by JSON clients, not by Python.
_ = (InvoiceSummaryOut.customer_name, InvoiceSummaryOut.open_cents, InvoiceSummaryOut.cancelled_by_number)

# Dispatch: a published event's field (integrators read it), OR-Tools' search parameters (a
# protobuf message the solver reads), a plan's lookup the tests use, and answer fields JSON
# clients read (ordering's expected arrival, the quote's town round).
_search = SimpleNamespace(first_solution_strategy=0, local_search_metaheuristic=0)  # routing._parameters' fields
_ = DeliveryJobDelivered.photo_proof
_ = (_search.first_solution_strategy, _search.local_search_metaheuristic)
_search.min_neighbors = _search.neighbors_ratio = _search.use_neighbors_ratio_for_initialization = 0
_search.use_relocate_pair = _search.guided_local_search_lambda_coefficient = 0
_ = (_search.min_neighbors, _search.neighbors_ratio, _search.use_neighbors_ratio_for_initialization)
_ = (_search.use_relocate_pair, _search.guided_local_search_lambda_coefficient)
_ = Plan.route_of
_ = (ExpectedDeliveryOut.expected_from, ExpectedDeliveryOut.expected_until, DeliverySlotOut.town_round)
