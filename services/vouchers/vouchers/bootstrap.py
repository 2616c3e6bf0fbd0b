# SPDX-License-Identifier: AGPL-3.0-or-later
"""The composition root: every process of the vouchers service is wired here, and only here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from downtown_events.runtime.clock_file import clock_of
from downtown_events.runtime.database import Pool, open_api_pool
from downtown_events.runtime.health import Readiness
from downtown_events.runtime.identity import TownAuthenticator, trusted_keys
from downtown_events.runtime.jobs import ScheduledJob
from downtown_events.runtime.live_figures import LiveFigure
from downtown_events.runtime.mail_outbox import send_mail_job
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.runtime.process_handler import ProcessManagerHandler
from downtown_events.runtime.service import Reaction, ServiceDefinition
from downtown_events.runtime.settings import ServiceSettings
from downtown_events.runtime.throttle import Throttle
from downtown_events.runtime.tracking import EventHandler
from downtown_events.vouchers import VoucherIssued, VoucherRedeemed
from vouchers.adapters.notifier import CONSUMER_NAME as NOTIFIER
from vouchers.adapters.notifier import Notifier
from vouchers.adapters.payment_webhook import PaymentWebhook
from vouchers.adapters.printable import DrawnVouchers
from vouchers.adapters.rendering import DocumentRenderer
from vouchers.adapters.request_keys import PostgresRequestKeys
from vouchers.adapters.sealing import AesGcmSeal
from vouchers.app.authorizations import AuthorizationHandlers
from vouchers.app.context import Context
from vouchers.app.jobs import expire_due
from vouchers.app.notifications import PaymentDetails, mail_texts
from vouchers.app.notifier import NotifierSettings
from vouchers.app.order_payments import CONSUMER_NAME as ORDER_PAYMENTS
from vouchers.app.order_payments import order_payments
from vouchers.app.programmes import ProgrammeHandlers
from vouchers.app.purchases import PurchaseHandlers
from vouchers.app.redemptions import RedemptionHandlers
from vouchers.projections import PROJECTIONS
from vouchers.projections.read_models import (
    PostgresBuyerPurchases,
    PostgresCampaignFinder,
    PostgresCodeIndex,
    PostgresDeadlines,
    PostgresMerchantDirectory,
    PostgresProgrammeDirectory,
)
from vouchers.settings import SERVICE, VouchersSettings

MIGRATIONS = [Path(__file__).parent / "migrations"]


@dataclass
class Handlers:
    context: Context
    programmes: ProgrammeHandlers
    purchases: PurchaseHandlers
    redemptions: RedemptionHandlers
    authorizations: AuthorizationHandlers
    merchants: PostgresMerchantDirectory


def build_handlers(pool: Pool, settings: VouchersSettings) -> Handlers:
    context = Context(
        PostgresEventStore(pool, service=SERVICE),
        code_key=settings.code_hash_key.encode(),
        clock=clock_of(settings),
        timezone=ZoneInfo(settings.timezone),
    )
    merchants = PostgresMerchantDirectory(pool)
    purchases = PurchaseHandlers(
        context,
        merchants,
        PostgresCampaignFinder(pool),
        seal(settings),
        PostgresBuyerPurchases(pool),
        unpaid_hours=settings.unpaid_purchase_hours,
        max_vouchers=settings.max_vouchers_per_purchase,
        max_bulk=settings.max_bulk_issue,
        max_open_unpaid=settings.max_open_unpaid_per_buyer,
    )
    redemptions = RedemptionHandlers(
        context, merchants, PostgresCodeIndex(pool), request_keys=PostgresRequestKeys(pool)
    )
    return Handlers(
        context,
        ProgrammeHandlers(
            context,
            merchants,
            PostgresProgrammeDirectory(pool),
            reserved_words=settings.reserved_programme_words,
            most_per_merchant=settings.max_programmes_per_merchant,
        ),
        purchases,
        redemptions,
        AuthorizationHandlers(
            context, redemptions, valid_for=timedelta(minutes=settings.voucher_authorization_minutes)
        ),
        merchants,
    )


def seal(settings: VouchersSettings) -> AesGcmSeal:
    """Codes sealed for the buyer's token, and for their e-mail under the delivery key."""
    return AesGcmSeal(settings.code_hash_key.encode(), settings.code_delivery_key.encode())


def payment_details(settings: VouchersSettings) -> PaymentDetails:
    """How the town's buyers pay: the association's account, the provider's checkout link."""
    return PaymentDetails(
        account_holder=settings.association_account_holder,
        iban=settings.association_iban,
        bic=settings.association_bic,
        checkout_url=settings.payment_checkout_url,
    )


def notifier_of(pool: Pool, settings: ServiceSettings) -> EventHandler:
    """The buyers' e-mails, from the vouchers' own store (the buyer's address is private)."""
    vouchers_settings = cast(VouchersSettings, settings)
    town = settings.display_name
    texts = mail_texts(settings.texts_dir, settings.timezone)
    return Notifier(
        NotifierSettings(town_name=town, payment=payment_details(vouchers_settings), texts=texts),
        seal=seal(vouchers_settings),
        documents=DrawnVouchers(PostgresMerchantDirectory(pool), town, texts=texts),
    )


def order_payments_of(pool: Pool, settings: ServiceSettings) -> EventHandler:
    """The order saga's vouchers side, made in the worker from its pool (the merchants'
    replica) and settings (the town's time zone)."""
    handlers = build_handlers(pool, cast(VouchersSettings, settings))
    return ProcessManagerHandler(order_payments(handlers.context, handlers.merchants))


async def expire_job(pool: Pool, settings: VouchersSettings) -> int:
    handlers = build_handlers(pool, settings)
    return await expire_due(handlers.context, handlers.purchases, handlers.redemptions, PostgresDeadlines(pool))


LIVE_FIGURES = [
    LiveFigure("vouchers_sold", (VoucherIssued,)),
    LiveFigure("sold_cents", (VoucherIssued,), lambda event: getattr(event, "paid_cents", 0)),
    LiveFigure("redeemed_cents", (VoucherRedeemed,), lambda event: getattr(event, "amount_cents", 0)),
]
"""The association's "today" board: per hour, live from the topic (the ledger has the audited ones)."""


def vouchers_service(expiry_seconds: float = 3600.0, mail_seconds: float = 1.0) -> ServiceDefinition:
    return ServiceDefinition(
        SERVICE,
        projections=PROJECTIONS,
        reactions=[
            Reaction(order_payments_of, sources=("ordering",), name=ORDER_PAYMENTS),
            Reaction(notifier_of, from_store=True, name=NOTIFIER),
        ],
        migrations=MIGRATIONS,
        jobs=[
            ScheduledJob("expire", expiry_seconds, expire_job),
            ScheduledJob("send-mail", mail_seconds, send_mail_job),
        ],
        live_figures=LIVE_FIGURES,
    )


VOUCHERS = vouchers_service()


@dataclass
class ApiContainer:
    settings: VouchersSettings
    pool: Pool
    handlers: Handlers
    authenticator: TownAuthenticator
    throttle: Throttle
    webhook: PaymentWebhook
    readiness: Readiness
    renderer: DocumentRenderer

    async def close(self) -> None:
        await self.pool.close()


async def build_api(settings: VouchersSettings) -> ApiContainer:
    pool = await open_api_pool(settings, SERVICE)
    return ApiContainer(
        settings=settings,
        pool=pool,
        handlers=build_handlers(pool, settings),
        authenticator=TownAuthenticator(
            town=settings.town,
            trusted=trusted_keys(settings.trusted_token_keys),
            association_token=settings.association_token,
        ),
        throttle=Throttle(pool),
        webhook=PaymentWebhook(
            pool, settings.payment_webhook_secret, tolerance_seconds=settings.webhook_tolerance_seconds
        ),
        readiness=Readiness(pool, settings.database_url, settings.kafka_bootstrap, MIGRATIONS),
        renderer=DocumentRenderer(settings.pdf_renders_at_once, settings.pdf_render_wait_seconds),
    )
