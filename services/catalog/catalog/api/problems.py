# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's own errors as problems (the kit maps the rest: see runtime/http/problems).

Nothing is written when any of these is raised: handlers decide before they append, and
an append is all or nothing.
"""

from __future__ import annotations

from catalog.adapters.photos import PhotoBusy, PhotoRejected, PhotoTooLarge
from catalog.domain.errors import AlreadyExists, DomainError, InvalidChange, NotAllowed, NotFound, TokenRevoked
from downtown_events.runtime.http.problems import ProblemRule

CATALOG_PROBLEMS = [
    ProblemRule(DomainError, 400, "Bad request"),
    ProblemRule(NotFound, 404, "Not found"),
    ProblemRule(NotAllowed, 403, "Not allowed"),
    ProblemRule(AlreadyExists, 409, "Already exists"),
    ProblemRule(InvalidChange, 422, "Change refused"),
    ProblemRule(PhotoRejected, 422, "Photo rejected", field="photo"),
    ProblemRule(PhotoTooLarge, 413, "Photo rejected", field="photo"),
    ProblemRule(PhotoBusy, 503, "Busy", headers=lambda busy: {"Retry-After": str(busy.retry_after)}),
    ProblemRule(TokenRevoked, 401, "Not authenticated"),
]
