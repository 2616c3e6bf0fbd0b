# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's members: every registered merchant of the town with its standing.

The public directory leaves suspended merchants out and keeps approvals to itself; the
association, which decides both, reads them here (from the same read model, never the
event store per request).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from catalog.api.deps import Caller, ReadDb
from catalog.api.schemas import MemberOut
from catalog.projections import queries
from downtown_events.runtime.http.openapi import also_answers
from downtown_events.runtime.readable import each_readable

router = APIRouter(tags=["members"])


@router.get("/members", response_model=list[MemberOut], openapi_extra=also_answers(401, 403))
async def members(
    caller: Caller,
    db: ReadDb,
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=queries.MEMBERS_PAGE, description="how many members per page")] = (
        queries.MEMBERS_PAGE
    ),
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[MemberOut]:
    """Every registered merchant of the town by name, suspended ones too (association token
    only): whether the association vouches for it (`approved`), is suspended (and why), is
    closed for now, since when it is registered and how to reach it. At most 500 a page; when
    there are more, the `Link` header names the next page (`rel="next"`, RFC 8288)."""
    caller.association()
    page = await queries.members(db, limit=limit, offset=offset)
    if page.more:
        following = request.url.include_query_params(limit=limit, offset=offset + limit)
        response.headers["Link"] = f'<{following}>; rel="next"'
    return each_readable(page.items, MemberOut.model_validate, key="merchant_id")
