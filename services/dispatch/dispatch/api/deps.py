# SPDX-License-Identifier: AGPL-3.0-or-later
"""FastAPI dependencies: the kit's, typed with this service's container."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from dispatch.bootstrap import ApiContainer
from downtown_events.runtime.http.deps import ReadDb, get_container

Container = Annotated[ApiContainer, Depends(get_container)]

__all__ = ["Container", "ReadDb"]
