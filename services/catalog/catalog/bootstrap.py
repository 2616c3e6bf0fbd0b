# SPDX-License-Identifier: AGPL-3.0-or-later
"""The composition root: every process of the catalog is wired here, and only here.

Tests call the same functions with their own settings, so what runs in a test is what
runs in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from catalog.adapters.photo_storage import FilePhotoStorage
from catalog.adapters.tokens import CatalogTokens
from catalog.app.handlers import CatalogHandlers
from catalog.app.reservations import order_reservations
from catalog.app.sign_in import MerchantSignIn, sign_in_mail
from catalog.projections import PROJECTIONS, compounds
from catalog.projections.merchant_addresses import DirectoryMerchantAddresses
from catalog.settings import SERVICE, CatalogSettings
from downtown_events.runtime.clock_file import clock_of
from downtown_events.runtime.database import Pool, open_api_pool
from downtown_events.runtime.health import Readiness
from downtown_events.runtime.identity import trusted_keys
from downtown_events.runtime.jobs import ScheduledJob
from downtown_events.runtime.mail_outbox import queue_mail, send_mail_job
from downtown_events.runtime.photos import PixelLimits
from downtown_events.runtime.postgres_store import PostgresEventStore
from downtown_events.runtime.process_handler import ProcessManagerHandler
from downtown_events.runtime.service import Reaction, ServiceDefinition
from downtown_events.runtime.settings import ServiceSettings
from downtown_events.runtime.sign_in_mail import Language, MailedLink
from downtown_events.runtime.texts import Texts
from downtown_events.runtime.throttle import Throttle
from downtown_events.runtime.tracking import EventHandler

SERVICE_MIGRATIONS: list[Path] = [Path(__file__).parent / "migrations"]
"""The runtime's tables serve the write side; the catalog's own migrations prepare its search
(pg_trgm, before the read tables are created)."""


def _reservations(pool: Pool, settings: ServiceSettings) -> EventHandler:
    return ProcessManagerHandler(order_reservations(ZoneInfo(settings.timezone)))


CATALOG = ServiceDefinition(
    SERVICE,
    projections=PROJECTIONS,
    reactions=[Reaction(_reservations, sources=("ordering",), name="process:order_reservations")],
    migrations=SERVICE_MIGRATIONS,
    # A merchant's sign-in link goes out through the kit's mail outbox (runtime_0007), queued by the API.
    jobs=[ScheduledJob("send-mail", 1.0, send_mail_job)],
)


@dataclass
class ApiContainer:
    settings: CatalogSettings
    pool: Pool
    handlers: CatalogHandlers
    tokens: CatalogTokens
    photos: FilePhotoStorage
    readiness: Readiness
    sign_in: MerchantSignIn
    throttle: Throttle
    texts: Texts

    async def sign_in_mail(self, link: MailedLink, language: Language) -> None:
        """Queue the link's e-mail (the worker's sender delivers it)."""
        settings = self.settings
        mail = sign_in_mail(
            link,
            language=language,
            web_url=settings.sign_in_url,
            minutes=settings.sign_in_link_minutes,
            texts=self.texts,
        )
        async with self.pool.connection() as conn:
            await queue_mail(conn, mail)

    async def close(self) -> None:
        await self.pool.close()


async def build_api(settings: CatalogSettings) -> ApiContainer:
    # The search splits compounds in queries: its word list (under a second, +76 MiB at the
    # peak) loads before the first request rather than in it.
    compounds.load()
    pool = await open_api_pool(settings, SERVICE)
    photos = FilePhotoStorage(
        settings.town_photo_dir,
        max_bytes=settings.max_photo_bytes,
        limits=PixelLimits(jpeg=settings.photo_max_pixels_jpeg, other=settings.photo_max_pixels_other),
        workers=settings.photo_workers,
        queue=settings.photo_queue,
    )
    store = PostgresEventStore(pool, service=SERVICE)
    return ApiContainer(
        settings=settings,
        pool=pool,
        handlers=CatalogHandlers(store, photos),
        tokens=CatalogTokens(
            town=settings.town,
            signing_key=settings.token_signing_key,
            key_id=settings.token_key_id,
            trusted=trusted_keys(settings.trusted_token_keys),
            association_token=settings.association_token,
            merchant_token_days=settings.merchant_token_days,
        ),
        photos=photos,
        readiness=Readiness(pool, settings.database_url, settings.kafka_bootstrap, SERVICE_MIGRATIONS),
        sign_in=MerchantSignIn(
            store,
            DirectoryMerchantAddresses(pool),
            now=clock_of(settings),
            link_minutes=settings.sign_in_link_minutes,
        ),
        throttle=Throttle(pool),
        texts=Texts(SERVICE, override=settings.texts_dir, zone=settings.timezone),
    )
