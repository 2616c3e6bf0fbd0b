# SPDX-License-Identifier: Apache-2.0
"""``GET /projections/rebuilds``: the association audits the service's projection rebuilds.

Every service's API has it, mounted by ``create_service_app``, so no service writes it: a
rebuild (``downtown-projections rebuild``) records what it found in the service's own
database (``rebuild_records``), and the association reads it here, newest first, to see
that each projection rebuilt from the log still equals the live one.

Only the association's token is let in. The kit knows it from the settings every service
shares (``ServiceSettings.association_token``), and the town's trusted token keys, so a
caller with a valid token of another role is told it may not (403), one without a valid
token that it is not signed in (401), as in every service's own association routes.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from downtown_events.runtime.http.auth import bearer, bearer_token
from downtown_events.runtime.http.deps import ReadDb
from downtown_events.runtime.http.openapi import also_answers
from downtown_events.runtime.identity import TownAuthenticator, trusted_keys
from downtown_events.runtime.principal import NotPermitted
from downtown_events.runtime.rebuild_records import MOST_REBUILDS, RebuildRecord, recent_rebuilds
from downtown_events.runtime.settings import ServiceSettings

ONLY_THE_ASSOCIATION = "only the town's association may read the projection rebuilds; use its token"


class TableComparedOut(BaseModel):
    table: str
    live_rows: int = Field(description="rows of the live table when the rebuild compared")
    rebuilt_rows: int = Field(description="rows the rebuild folded from the log")
    live_checksum: str
    rebuilt_checksum: str
    matches: bool = Field(description="same rows and same content checksum")


class RebuildOut(BaseModel):
    id: int = Field(description="the record's number in this service")
    projection: str
    started_at: datetime
    finished_at: datetime
    events_read: int
    undecodable: int = Field(description="records that could not be read as events (dead-lettered live)")
    seconds: float = Field(description="how long reading and folding the log took")
    tables: list[TableComparedOut] = Field(description="empty when the rebuild failed before comparing")
    matches: bool = Field(description="every table's rows and checksum equal the live one's")
    swapped: bool = Field(description="the rebuilt tables replaced the live ones")
    forced: bool = Field(description="asked to swap even if the tables differ (--force)")
    note: str = Field(description="why it did not swap, or why it failed; empty when nothing is to say")

    @classmethod
    def of(cls, record: RebuildRecord) -> RebuildOut:
        return cls(
            id=record.id,
            projection=record.projection,
            started_at=record.started_at,
            finished_at=record.finished_at,
            events_read=record.events_read,
            undecodable=record.undecodable,
            seconds=record.seconds,
            tables=[
                TableComparedOut(
                    table=name,
                    live_rows=compared.live_rows,
                    rebuilt_rows=compared.rebuilt_rows,
                    live_checksum=compared.live_checksum,
                    rebuilt_checksum=compared.rebuilt_checksum,
                    matches=compared.matches,
                )
                for name, compared in record.tables.items()
            ],
            matches=record.matches,
            swapped=record.swapped,
            forced=record.forced,
            note=record.note,
        )


def projections_router(settings: ServiceSettings) -> APIRouter:
    """The routes, checking callers against ``settings``' association token and trusted keys."""
    association_token = settings.association_token.encode()
    others = TownAuthenticator(
        town=settings.town,
        trusted=trusted_keys(settings.trusted_token_keys),
        association_token=settings.association_token,
        signed_roles=("merchant", "customer", "courier"),
    )

    async def the_association(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        token = bearer_token(credentials)  # none: 401
        if hmac.compare_digest(token.encode(), association_token):
            return
        others.authenticate(token)  # not a token of this town: 401
        raise NotPermitted(ONLY_THE_ASSOCIATION)

    router = APIRouter(prefix="/projections", tags=["projections"], dependencies=[Depends(the_association)])

    @router.get(
        "/rebuilds",
        summary="The association reads the latest rebuilds of this service's projections, newest first",
        response_model=list[RebuildOut],
        openapi_extra=also_answers(401, 403),
    )
    async def rebuilds(
        db: ReadDb, limit: Annotated[int, Query(ge=1, le=MOST_REBUILDS, description="how many, newest first")] = 20
    ) -> list[RebuildOut]:
        """Each rebuild of a projection from the log (``downtown-projections rebuild``): what it
        read, how long it took, each table's rows and checksum live and rebuilt, whether they
        matched and whether the rebuilt tables were swapped in. A rebuild that failed midway
        is listed too, not matching, its note saying why."""
        return [RebuildOut.of(record) for record in await recent_rebuilds(db, limit)]

    return router
