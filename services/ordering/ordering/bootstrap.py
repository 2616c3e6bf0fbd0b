# SPDX-License-Identifier: AGPL-3.0-or-later
"""The composition root: every process of the ordering service is wired here, and only here.

Tests call the same functions with their own settings, so what runs in a test is what runs
in production. The API and the worker are separate processes that must agree on the keys
derived from the signing key (a guest's order link is made by the API and mailed by the
worker), so that key is a setting, never a per-process default, wherever both run.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from downtown_events.runtime.clock_file import clock_of
from downtown_events.runtime.database import Pool, open_api_pool
from downtown_events.runtime.health import Readiness
from downtown_events.runtime.identity import IssuingAuthenticator, trusted_keys
from downtown_events.runtime.jobs import ScheduledJob
from downtown_events.runtime.mail import ReplyToDropped
from downtown_events.runtime.mail_outbox import mail_sender, queue_mail
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.runtime.process_handler import ProcessManagerHandler
from downtown_events.runtime.service import Reaction, ServiceDefinition
from downtown_events.runtime.settings import MailSettings, ServiceSettings
from downtown_events.runtime.store import EventStore
from downtown_events.runtime.texts import Texts
from downtown_events.runtime.throttle import Throttle
from downtown_events.runtime.tracking import EventHandler
from ordering.adapters.notifier import notifier
from ordering.adapters.sealing import HandoffSealer
from ordering.app.context import Context
from ordering.app.customers import CustomerHandlers, SignInLink, sign_in_mail
from ordering.app.delivery_saga import delivery_saga
from ordering.app.invoicing import InvoicingHandlers
from ordering.app.jobs import time_out_unanswered
from ordering.app.notifications import mail_texts, without_reply_to
from ordering.app.orders import OrderHandlers
from ordering.app.quotes import QuoteHandlers
from ordering.app.saga import order_saga
from ordering.app.shopping import ShoppingHandlers
from ordering.domain.choices import Language
from ordering.domain.facts import TownSettings
from ordering.projections import PROJECTIONS
from ordering.projections.read_models import PostgresCatalogReplica, PostgresDeadlines, PostgresDeliveryTerms
from ordering.settings import SERVICE, OrderingSettings

MIGRATIONS = [Path(__file__).parent / "migrations"]
ISSUER = "ordering"
NOTIFIER = "ordering_notifier"


def derived_key(settings: OrderingSettings, purpose: str) -> bytes:
    """A key for one purpose (order links, account ids), derived from the signing key."""
    return hmac.new(settings.token_signing_key.encode(), f"ordering:{purpose}".encode(), hashlib.sha256).digest()


def town_rules(settings: OrderingSettings) -> TownSettings:
    return TownSettings(
        timezone=ZoneInfo(settings.timezone),
        merchant_answer_time=timedelta(minutes=settings.merchant_answer_minutes),
        merchant_answer_fallback=timedelta(minutes=settings.merchant_answer_fallback_minutes),
        answers_time=timedelta(minutes=settings.saga_answer_minutes),
        cancellation_grace=timedelta(minutes=settings.cancellation_grace_minutes),
        delivery_fees_cents=settings.zones,
        standard_vat_percent=settings.vat_by_category.get("", 19),
        pickup_horizon=timedelta(days=settings.pickup_horizon_days),
        booking_horizon=timedelta(days=settings.booking_horizon_days),
        slot_hold=timedelta(minutes=settings.slot_hold_minutes),
        guest_units_per_offer=settings.guest_units_per_offer,
    )


@dataclass
class Handlers:
    context: Context
    replica: PostgresCatalogReplica
    shopping: ShoppingHandlers
    quotes: QuoteHandlers
    orders: OrderHandlers
    customers: CustomerHandlers
    invoicing: InvoicingHandlers


def build_handlers(pool: Pool, settings: OrderingSettings, store: EventStore | None = None) -> Handlers:
    context = Context(
        store or PostgresEventStore(pool, service=SERVICE),
        town_rules(settings),
        link_key=derived_key(settings, "order-links"),
        clock=clock_of(settings),
        timezone=ZoneInfo(settings.timezone),
    )
    replica = PostgresCatalogReplica(pool, vat_by_category=settings.vat_by_category)
    shopping = ShoppingHandlers(context, replica, PostgresDeliveryTerms(pool))
    texts = Texts(SERVICE, override=settings.texts_dir, zone=settings.timezone)
    return Handlers(
        context,
        replica,
        shopping,
        QuoteHandlers(context, replica, shopping, texts),
        OrderHandlers(
            context,
            replica,
            jitsi_base_url=settings.jitsi_base_url,
            sealer=HandoffSealer(settings.delivery_handoff_key),
        ),
        CustomerHandlers(
            context, account_key=derived_key(settings, "accounts"), link_minutes=settings.sign_in_link_minutes
        ),
        InvoicingHandlers(context, replica),
    )


def _saga(pool: Pool, settings: ServiceSettings) -> EventHandler:
    return ProcessManagerHandler(order_saga(build_handlers(pool, cast(OrderingSettings, settings)).orders))


def _delivery_saga(pool: Pool, settings: ServiceSettings) -> EventHandler:
    return ProcessManagerHandler(delivery_saga(build_handlers(pool, cast(OrderingSettings, settings)).orders))


def _notifier(pool: Pool, settings: ServiceSettings) -> EventHandler:
    """The e-mails of every order event, from ordering's own store (the customer's contact
    is private); a guest's link carries the token the API's checkout handed out."""
    handlers = build_handlers(pool, cast(OrderingSettings, settings))
    return notifier(settings, guest_token=handlers.context.guest_token)


def reply_to_note(settings: MailSettings) -> ReplyToDropped:
    """What an order mail says when its Reply-To cannot go, in the town's words."""
    return partial(without_reply_to, texts=mail_texts(settings.texts_dir, settings.timezone))


async def time_out_job(pool: Pool, settings: ServiceSettings) -> int:
    handlers = build_handlers(pool, cast(OrderingSettings, settings))
    return await time_out_unanswered(handlers.context, handlers.orders, PostgresDeadlines(pool))


def ordering_service(timer_seconds: float = 5.0, mail_seconds: float = 1.0) -> ServiceDefinition:
    return ServiceDefinition(
        SERVICE,
        projections=PROJECTIONS,
        reactions=[
            Reaction(_saga, sources=("catalog", "vouchers"), name="process:order_saga"),
            Reaction(_delivery_saga, sources=("dispatch",), name="process:delivery_saga"),
            Reaction(_notifier, from_store=True, name=NOTIFIER),
        ],
        migrations=MIGRATIONS,
        jobs=[
            ScheduledJob("time-out", timer_seconds, time_out_job),
            ScheduledJob("send-mail", mail_seconds, mail_sender(reply_to_note)),
        ],
    )


ORDERING = ordering_service()


def authenticator(settings: OrderingSettings) -> IssuingAuthenticator:
    """Verifies merchant tokens (the catalog's key), the association's, and mints and verifies
    the customer tokens a one-time sign-in link is exchanged for."""
    return IssuingAuthenticator(
        town=settings.town,
        issuer=ISSUER,
        key_id=settings.token_key_id,
        signing_key=settings.token_signing_key,
        trusted=trusted_keys(settings.trusted_token_keys),
        association_token=settings.association_token,
    )


@dataclass
class ApiContainer:
    settings: OrderingSettings
    pool: Pool
    handlers: Handlers
    authenticator: IssuingAuthenticator
    throttle: Throttle
    readiness: Readiness

    async def sign_in_mail(self, link: SignInLink, language: Language, public_url: str) -> None:
        """Queue the link's e-mail (the worker's sender delivers it)."""
        settings = self.settings
        texts = mail_texts(settings.texts_dir, settings.timezone)
        mail = sign_in_mail(
            link, language=language, public_url=public_url, minutes=settings.sign_in_link_minutes, texts=texts
        )
        async with self.pool.connection() as conn:
            await queue_mail(conn, mail)

    async def close(self) -> None:
        await self.pool.close()


async def build_api(settings: OrderingSettings) -> ApiContainer:
    pool = await open_api_pool(settings, SERVICE)
    return ApiContainer(
        settings=settings,
        pool=pool,
        handlers=build_handlers(pool, settings),
        authenticator=authenticator(settings),
        throttle=Throttle(pool),
        readiness=Readiness(pool, settings.database_url, settings.kafka_bootstrap, MIGRATIONS),
    )
