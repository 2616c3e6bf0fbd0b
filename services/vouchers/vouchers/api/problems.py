# SPDX-License-Identifier: AGPL-3.0-or-later
"""The vouchers' own errors as problems, after the refusals every service shares (the kit's
``DOMAIN_PROBLEMS``; the kit maps the rest: see runtime/http/problems).

Nothing is written when any of these is raised: handlers decide before they append, and a
unit of work is all or nothing.
"""

from __future__ import annotations

from downtown_events.runtime.http.problems import DOMAIN_PROBLEMS, ProblemRule
from vouchers.adapters.payment_webhook import InvalidSignature, ReplayedCallback
from vouchers.adapters.rendering import RendererBusy
from vouchers.app.ports import SealBroken
from vouchers.domain.codes import InvalidCode
from vouchers.domain.errors import CodesAlreadyDelivered, LimitReached, NotTheBuyer

VOUCHERS_PROBLEMS = [
    *DOMAIN_PROBLEMS,
    ProblemRule(NotTheBuyer, 401, "Not authenticated"),
    ProblemRule(CodesAlreadyDelivered, 410, "Shown once already"),
    ProblemRule(LimitReached, 409, "Limit reached"),
    ProblemRule(InvalidCode, 422, "Not a voucher code", field="code"),
    ProblemRule(SealBroken, 404, "Not found"),
    ProblemRule(InvalidSignature, 401, "Not authenticated"),
    ProblemRule(ReplayedCallback, 409, "Replayed callback"),
    ProblemRule(RendererBusy, 503, "Busy", headers=lambda error: {"Retry-After": str(error.retry_after)}),
]
