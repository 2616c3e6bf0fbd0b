# SPDX-License-Identifier: AGPL-3.0-or-later
"""Programmes and memberships: what is sold, and which merchants accept town vouchers."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status

from downtown_events.runtime.http.openapi import also_answers
from vouchers.api.deps import AppHandlers, Caller, IdempotencyKey, ReadDb
from vouchers.api.pages import decode_cursor, encode_cursor
from vouchers.api.schemas import ClosingIn, MembershipIn, MembershipOut, ProgrammeIn, ProgrammeOut, TermsIn
from vouchers.domain.commands import ChangeProgramme, CloseProgramme, JoinProgramme, LeaveProgramme, OpenProgramme
from vouchers.projections import queries

router = APIRouter(prefix="/programmes", tags=["programmes"])
WAITS_FOR_CATALOG = also_answers(503)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProgrammeOut, openapi_extra=WAITS_FOR_CATALOG)
async def open_programme(
    body: ProgrammeIn, caller: Caller, handlers: AppHandlers, response: Response, idempotency_key: IdempotencyKey = None
) -> ProgrammeOut:
    """Open a programme: a merchant its own vouchers (`kind: merchant`), the association a
    town voucher accepted by every merchant that joins it (`kind: town`)."""
    command = OpenProgramme(body.kind, body.to_terms(), caller.merchant_id, idempotency_key)
    programme, created = await handlers.programmes.open_programme(caller, command)
    if not created:
        response.status_code = status.HTTP_200_OK
    return ProgrammeOut.of(programme)


@router.get("", openapi_extra=also_answers(422))
async def open_programmes(
    db: ReadDb,
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=200, description="how many programmes per page")] = 50,
    after: Annotated[
        str | None,
        Query(max_length=400, description='where the previous page ended: its `Link: rel="next"` gives it'),
    ] = None,
) -> list[dict[str, Any]]:
    """The programmes selling now, by name: what a buyer can choose from, a page at a time.
    When there are more, the `Link` header names the next page (`rel="next"`, RFC 8288)."""
    rows = await queries.open_programmes(db, limit=limit + 1, after=decode_cursor(after) if after else None)
    page = rows[:limit]
    if len(rows) > limit:
        last = page[-1]
        following = request.url.include_query_params(
            limit=limit, after=encode_cursor(last["name"], last["programme_id"])
        )
        response.headers["Link"] = f'<{following}>; rel="next"'
    return page


@router.get("/{programme_id}", response_model=ProgrammeOut)
async def programme(programme_id: UUID, handlers: AppHandlers) -> ProgrammeOut:
    """A programme's terms, for anyone: what is sold, for how much, how long it is valid."""
    return ProgrammeOut.of(await handlers.programmes.programme(programme_id))


@router.put("/{programme_id}/terms", response_model=ProgrammeOut)
async def change_terms(programme_id: UUID, body: TermsIn, caller: Caller, handlers: AppHandlers) -> ProgrammeOut:
    """New terms for future sales; vouchers already sold keep theirs."""
    return ProgrammeOut.of(
        await handlers.programmes.change_programme(caller, ChangeProgramme(programme_id, body.to_terms()))
    )


@router.post("/{programme_id}/close", response_model=ProgrammeOut)
async def close_programme(programme_id: UUID, body: ClosingIn, caller: Caller, handlers: AppHandlers) -> ProgrammeOut:
    """Stop selling; vouchers already sold stay redeemable until they expire."""
    return ProgrammeOut.of(await handlers.programmes.close_programme(caller, CloseProgramme(programme_id, body.reason)))


@router.post("/{programme_id}/members", response_model=MembershipOut, openapi_extra=WAITS_FOR_CATALOG)
async def join(programme_id: UUID, body: MembershipIn, caller: Caller, handlers: AppHandlers) -> MembershipOut:
    """A merchant joins a town programme and from then on accepts its vouchers."""
    merchant_id = body.merchant_id or caller.merchant()
    return MembershipOut.of(await handlers.programmes.join(caller, JoinProgramme(programme_id, merchant_id)))


@router.get("/{programme_id}/members/{merchant_id}", response_model=MembershipOut, openapi_extra=also_answers(404))
async def membership(programme_id: UUID, merchant_id: UUID, handlers: AppHandlers) -> MembershipOut:
    """Whether a merchant accepts the programme's vouchers, for anyone: a shop shows it, and a
    checkout asks it before a town voucher pays an order there (`accepts` is false for a shop
    that never joined, or left)."""
    accepts = await handlers.programmes.accepts(programme_id, merchant_id)
    return MembershipOut(programme_id=programme_id, merchant_id=merchant_id, accepts=accepts)


@router.delete("/{programme_id}/members/{merchant_id}", response_model=MembershipOut)
async def leave(programme_id: UUID, merchant_id: UUID, caller: Caller, handlers: AppHandlers) -> MembershipOut:
    """The merchant no longer accepts the programme's vouchers."""
    return MembershipOut.of(await handlers.programmes.leave(caller, LeaveProgramme(programme_id, merchant_id)))
