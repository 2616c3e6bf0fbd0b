# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's own errors as problems, after the refusals every service shares (the kit's
``DOMAIN_PROBLEMS``; the kit maps the rest: see runtime/http/problems).

Nothing is written when any of these is raised: handlers decide before they append, and
an append is all or nothing.
"""

from __future__ import annotations

from catalog.domain.errors import TokenRevoked
from downtown_events.runtime.http.problems import DOMAIN_PROBLEMS, ProblemRule
from downtown_events.runtime.photos import PhotoBusy, PhotoRejected, PhotoTooLarge

CATALOG_PROBLEMS = [
    *DOMAIN_PROBLEMS,
    ProblemRule(PhotoRejected, 422, "Photo rejected", field="photo"),
    ProblemRule(PhotoTooLarge, 413, "Photo rejected", field="photo"),
    ProblemRule(PhotoBusy, 503, "Busy", headers=lambda busy: {"Retry-After": str(busy.retry_after)}),
    ProblemRule(TokenRevoked, 401, "Not authenticated"),
]
