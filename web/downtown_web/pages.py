# SPDX-License-Identifier: AGPL-3.0-or-later
"""Drawing a page: the template in the visitor's language, with what every page shows.

Every page gets the town (name, colour, logo), the visitor's language and the other one to
switch to, the form token, and the basket's size for the header. Templates are the kit's
(:class:`~downtown_events.runtime.texts.Texts`: Jinja2 with autoescape for ``.html``, the
``money``/``date``/``time`` filters, gettext from ``locale/<language>/``), so a page, a mail
and a PDF word an amount the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse

from downtown_events.runtime.http.body_limit import Refusal, RouteLimit, Scope, TooLargeAnswer
from downtown_events.runtime.texts import Texts
from downtown_web.problems import Said, words_for
from downtown_web.services import ServiceProblem, Services
from downtown_web.settings import WebSettings
from downtown_web.visitor import LANGUAGES, csrf_token, customer_of, keep_csrf, language_of
from downtown_web.words import N_

ORDER_STATUSES = {
    "placed": N_("placed, waiting for the shop"),
    "confirmed": N_("confirmed by the shop"),
    "packed": N_("packed"),
    "ready_for_pickup": N_("ready for pickup"),
    "out_for_delivery": N_("on its way"),
    "fulfilled": N_("done"),
    "rejected": N_("not possible"),
    "cancelled": N_("cancelled"),
    "delivery_failed": N_("not delivered"),
}
"""An order's status as a customer reads it (ordering's names are for machines)."""
SECURITY_HEADERS = {
    # Nothing from elsewhere: every script, style, font and picture is this front's own.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # an order link's token never leaves in a Referer
}
"""On every answer of the front (put there by the app's edge, and on a page drawn before it)."""


@dataclass
class Page:
    """One request's page drawer."""

    request: Request
    settings: WebSettings
    texts: Texts
    services: Services
    language: str

    def _(self, message: str) -> str:
        return self.texts.gettext(self.language, message)

    def render(self, template: str, *, status_code: int = 200, **data: Any) -> HTMLResponse:
        other = next(language for language in LANGUAGES if language != self.language)
        here = self.request.url.path + (f"?{self.request.url.query}" if self.request.url.query else "")
        html = self.texts.render(
            template,
            self.language,
            town=self.settings.display_name,
            brand_colour=self.settings.brand_colour,
            logo_url=self.settings.logo_url,
            language=self.language,
            other_language=other,
            switch_language=f"/language/{other}?next={quote(here, safe='')}",
            csrf=csrf_token(self.request),
            path=self.request.url.path,
            statuses={status: self._(words) for status, words in ORDER_STATUSES.items()},
            signed_in=customer_of(self.request) is not None,
            **data,
        )
        response = HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
        keep_csrf(self.request, response, secure=self.settings.secure_cookies)
        return response

    def refusal(self, problem: ServiceProblem) -> Said:
        return words_for(problem, self._)


def page(request: Request) -> Page:
    state = request.app.state
    return Page(request, state.settings, state.texts, state.services, language_of(request))


def body_refusal(draw: Callable[[Page, RouteLimit], Awaitable[Response]]) -> TooLargeAnswer:
    """A page as the answer to a body too large for its route (the kit's
    :class:`~downtown_events.runtime.http.body_limit.BodySizeLimit`, which answers before the
    app and its edge): ``draw`` draws it from the request's headers and cookies (the body is
    never read, so what was typed is lost), in the visitor's language, with the front's
    security headers."""

    async def answer(scope: Scope, limit: RouteLimit) -> Refusal:
        response = await draw(page(Request(scope)), limit)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return Refusal(response.status_code, response.raw_headers, bytes(response.body))

    return answer


PageOf = Annotated[Page, Depends(page)]
