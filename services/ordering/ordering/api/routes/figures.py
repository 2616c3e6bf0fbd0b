# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association's view of the town's orders (from the order overview, rebuilt from the log)."""

from __future__ import annotations

from fastapi import APIRouter

from downtown_events.runtime.http.openapi import also_answers
from ordering.api.deps import Caller, ReadDb
from ordering.api.schemas import FiguresOut
from ordering.projections.queries import town_figures

router = APIRouter(tags=["figures"])


@router.get("/figures", response_model=FiguresOut, openapi_extra=also_answers(401, 403))
async def figures(caller: Caller, db: ReadDb) -> FiguresOut:
    """Orders by status; goods and voucher money of the orders that stand."""
    caller.association()
    return FiguresOut.model_validate(await town_figures(db))
