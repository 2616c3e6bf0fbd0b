# SPDX-License-Identifier: AGPL-3.0-or-later
"""The town's delivery terms: set whole by the association, read by anyone (what customers
are offered: zones, fees, slots)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.deps import Caller, Container, ReadDb
from dispatch.api.setup_schemas import TermsIn
from dispatch.app.setup import SetTerms
from dispatch.domain.errors import NotFound
from downtown_events.runtime.http.openapi import also_answers

router = APIRouter(tags=["delivery terms"])


@router.put("/delivery-terms", openapi_extra=also_answers(404))  # a courier service the town does not have
async def set_terms(body: TermsIn, caller: Caller, container: Container) -> dict[str, Any]:
    """The association sets the town's terms whole (each set replaces the last); zone ids come
    from the zones' names, so a zone set again keeps its id. Answers the terms as published."""
    parts = body.parts()
    terms = await container.setup.set_terms(
        caller,
        SetTerms(
            body.courier_service_id, parts["zones"], parts["fee"], parts["slots"], body.lead_minutes, body.attempts
        ),
    )
    return terms.model_dump(mode="json")


@router.get("/delivery-terms")
async def current_terms(container: Container, db: ReadDb) -> dict[str, Any]:
    """The town's delivery terms as published (public: what customers may see); a moment
    behind a change just made."""
    terms = await container.terms.current(db)
    if terms is None:
        raise NotFound("the town has set no delivery terms yet")
    return terms.model_dump(mode="json")
