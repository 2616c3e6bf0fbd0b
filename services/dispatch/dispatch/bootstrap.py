# SPDX-License-Identifier: AGPL-3.0-or-later
"""The composition root: every process of the dispatch service is wired here, and only here.

Tests call the same functions with their own settings, so what runs in a test is what runs
in production. A use case's handlers join ``ApiContainer`` here, on the kit's event store.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from dispatch.adapters.proof_photos import PostgresProofPhotos
from dispatch.app.courier import CourierHandlers
from dispatch.app.jobs import DeliveryJobs, delivery_jobs
from dispatch.app.planning import Planning, Replanner
from dispatch.app.setup import SetupHandlers
from dispatch.app.sign_in import CourierSignIn, sign_in_mail
from dispatch.projections import DELIVERY_TERMS, MERCHANTS, PROJECTIONS
from dispatch.projections.courier_reads import PostgresCourierReads
from dispatch.projections.couriers import CourierRoster, PooledRoster
from dispatch.projections.delivery_ports import PostgresDeliveryPorts, PostgresPlanningPorts
from dispatch.settings import SERVICE, DispatchSettings
from downtown_events.runtime.clock import TownClock
from downtown_events.runtime.clock_file import clock_of
from downtown_events.runtime.database import Pool, open_api_pool
from downtown_events.runtime.delivery_terms import DeliveryTermsReader
from downtown_events.runtime.health import Readiness
from downtown_events.runtime.identity import IssuingAuthenticator, trusted_keys
from downtown_events.runtime.jobs import ScheduledJob
from downtown_events.runtime.mail_outbox import queue_mail, send_mail_job
from downtown_events.runtime.merchant_replica import MerchantReader
from downtown_events.runtime.photos import PhotoSlots, PixelLimits
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.runtime.process_handler import ProcessManagerHandler
from downtown_events.runtime.service import Reaction, ServiceDefinition
from downtown_events.runtime.settings import ServiceSettings
from downtown_events.runtime.sign_in_mail import Language, MailedLink
from downtown_events.runtime.texts import Texts
from downtown_events.runtime.throttle import Throttle
from downtown_events.runtime.tracking import EventHandler

MIGRATIONS: list[Path] = [Path(__file__).parent / "migrations"]
"""The write side's own tables, beyond the kit's event store and outbox: the proof photos."""


def _delivery_jobs(pool: Pool, settings: ServiceSettings) -> EventHandler:
    """Ordering's requests become jobs (or refusals), its endings withdraw orders from them."""
    dispatch = cast(DispatchSettings, settings)
    ports = PostgresDeliveryPorts(pool, dispatch.delivery_handoff_key.encode())
    return ProcessManagerHandler(delivery_jobs(DeliveryJobs(ports, ZoneInfo(dispatch.timezone))))


def planning(pool: Pool, settings: DispatchSettings) -> Planning:
    return Planning(
        PostgresEventStore(pool, service=SERVICE),
        PostgresPlanningPorts(pool),
        timezone=ZoneInfo(settings.timezone),
        clock=clock_of(settings),
    )


_REPLANNERS: dict[float, Replanner] = {}


async def replan_today(pool: Pool, settings: ServiceSettings) -> int:
    """The worker's replanning: every second it asks, every ``replan_seconds`` it looks, and
    it plans today and tomorrow only when their jobs or couriers changed since it last did."""
    dispatch = cast(DispatchSettings, settings)
    replanner = _REPLANNERS.setdefault(dispatch.replan_seconds, Replanner(dispatch.replan_seconds))
    return await replanner.round(planning(pool, dispatch))


DISPATCH = ServiceDefinition(
    SERVICE,
    projections=PROJECTIONS,
    reactions=[Reaction(_delivery_jobs, sources=("ordering",), name="process:delivery_jobs")],
    migrations=MIGRATIONS,
    # A courier's sign-in link goes out through the kit's mail outbox (runtime_0007), queued by the API.
    jobs=[ScheduledJob("replan", 1.0, replan_today), ScheduledJob("send-mail", 1.0, send_mail_job)],
)


@dataclass
class ApiContainer:
    settings: DispatchSettings
    pool: Pool
    merchants: MerchantReader
    readiness: Readiness
    authenticator: IssuingAuthenticator
    roster: CourierRoster
    setup: SetupHandlers
    planning: Planning
    terms: DeliveryTermsReader
    courier: CourierHandlers
    sign_in: CourierSignIn
    throttle: Throttle
    texts: Texts

    async def sign_in_mail(self, link: MailedLink, language: Language) -> None:
        """Queue the link's e-mail (the worker's sender delivers it)."""
        settings = self.settings
        mail = sign_in_mail(
            link, language=language, web_url=settings.web_url, minutes=settings.sign_in_link_minutes, texts=self.texts
        )
        async with self.pool.connection() as conn:
            await queue_mail(conn, mail)

    async def close(self) -> None:
        await self.pool.close()


def authenticator(settings: DispatchSettings) -> IssuingAuthenticator:
    """Verifies merchant tokens (the catalog's key) and the association's, and mints and
    verifies the courier tokens the association hands its couriers."""
    return IssuingAuthenticator(
        town=settings.town,
        issuer=SERVICE,
        key_id=settings.token_key_id,
        signing_key=settings.token_signing_key,
        trusted=trusted_keys(settings.trusted_token_keys),
        association_token=settings.association_token,
        signed_roles=("merchant", "courier"),
    )


async def build_api(settings: DispatchSettings) -> ApiContainer:
    pool = await open_api_pool(settings, SERVICE)
    auth, roster = authenticator(settings), CourierRoster()
    pooled = PooledRoster(pool, roster)
    return ApiContainer(
        settings=settings,
        pool=pool,
        merchants=MerchantReader(MERCHANTS.table),
        readiness=Readiness(pool, settings.database_url, settings.kafka_bootstrap, MIGRATIONS),
        authenticator=auth,
        roster=roster,
        setup=SetupHandlers(
            PostgresEventStore(pool, service=SERVICE),
            pooled,
            auth,
            settings.town,
            settings.courier_token_days,
            TownClock(clock=clock_of(settings), timezone=ZoneInfo(settings.timezone)),
        ),
        planning=planning(pool, settings),
        terms=DeliveryTermsReader(DELIVERY_TERMS.table),
        courier=courier_handlers(pool, settings),
        sign_in=CourierSignIn(
            PostgresEventStore(pool, service=SERVICE),
            pooled,
            pooled,
            auth,
            now=clock_of(settings),
            link_minutes=settings.sign_in_link_minutes,
            token_days=settings.courier_token_days,
        ),
        throttle=Throttle(pool),
        texts=Texts(SERVICE, override=settings.texts_dir, zone=settings.timezone),
    )


def courier_handlers(pool: Pool, settings: DispatchSettings) -> CourierHandlers:
    """The courier's steps on the road; proof photos cleaned a few at a time, kept in the
    transaction of the delivery's events."""
    proofs = PostgresProofPhotos(
        pool,
        max_bytes=settings.max_proof_photo_bytes,
        limits=PixelLimits(),
        slots=PhotoSlots(workers=settings.proof_photo_workers, queue=settings.proof_photo_queue),
    )
    reads = PostgresCourierReads(pool, DeliveryTermsReader(DELIVERY_TERMS.table))
    clock = TownClock(clock=clock_of(settings), timezone=ZoneInfo(settings.timezone))
    return CourierHandlers(PostgresEventStore(pool, service=SERVICE), reads, proofs, clock)
