# SPDX-License-Identifier: AGPL-3.0-or-later
"""Photo files, served with long caching: a photo's address is its content's hash."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from catalog.api.deps import Container
from catalog.domain.errors import NotFound

router = APIRouter(tags=["photos"])


@router.get("/photos/{photo_id}/{variant}.jpg", response_class=FileResponse)
async def photo(photo_id: str, variant: str, container: Container) -> FileResponse:
    path = container.photos.files.path(photo_id, variant)
    if path is None:
        raise NotFound("no such photo; variants are large, medium and thumb")
    return FileResponse(
        path,
        media_type="image/jpeg",
        headers={"Cache-Control": "public, max-age=31536000, immutable", "ETag": f'"{photo_id}-{variant}"'},
    )
