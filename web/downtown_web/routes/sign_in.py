# SPDX-License-Identifier: AGPL-3.0-or-later
"""Signing in by an e-mailed link, the same way for a customer, a merchant and a courier.

The page asks for an e-mail address and posts it to the service's sign-in links (the answer is
always "a link is on its way", so the page tells nobody which addresses exist). The service
mails ``<pages>/sign-in?<field>=…&token=…``; opening it only shows a button: the one-time token
is exchanged when the person presses it (a POST with the form token), so a mail scanner or a
link preview that fetches the link does not use it up, and a link opened twice gives a
credential at most once (the service refuses the second exchange). The token the service gives
for it stays in an HttpOnly cookie (:class:`~downtown_web.visitor.Bearer`) and is never shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from downtown_web.pages import Page, PageOf
from downtown_web.problems import Said
from downtown_web.routes.forms import checked
from downtown_web.services import Service, ServiceProblem, Services
from downtown_web.visitor import Bearer
from downtown_web.words import N_

TOKEN_PATTERN = r"^[A-Za-z0-9_-]+$"
FormToken = Annotated[str, Form(min_length=20, max_length=100, pattern=TOKEN_PATTERN)]
Csrf = Annotated[str | None, Form()]
NOT_ENDED = N_(
    "You are signed out on this device. Your session could not be ended on the server just now, so it"
    " stays valid until it expires for anyone who copied it. Sign in and sign out again once the"
    " connection is back."
)


@dataclass(frozen=True)
class LinkSignIn:
    """One kind of visitor's sign-in by link: where its links and sessions are, and what it keeps."""

    pages: str
    """The visitor's pages (the router's prefix): its sign-in is ``<pages>/sign-in``."""
    service: Callable[[Services], Service]
    at: str
    """The service's sign-in paths' prefix: its ``<at>/sign-in-links`` mails a link, its
    ``<at>/sessions`` exchanges the link's one-time token."""
    field: str
    """The id's name in the link's query and the button's form (``<field>_id`` in the exchange)."""
    bearer: Bearer
    template: str
    home: str
    """Where a signed-in visitor goes."""
    answer_token: str = "token"
    """The token's name in the exchange's answer."""

    def signed_out(self, *, ended: bool = False) -> Response:
        """Back to signing in, the cookie gone (none, or a token the services refuse);
        ``ended``: the visitor signed out and the service ended the session, which the page says."""
        response = RedirectResponse(f"{self.pages}/sign-in{'?ended=1' if ended else ''}", status_code=303)
        self.bearer.forget(response)
        return response


def _shown(
    page: Page,
    way: LinkSignIn,
    *,
    subject: UUID | None = None,
    token: str | None = None,
    sent: bool = False,
    said: Said | None = None,
    email: str = "",
    ended: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    """The sign-in page of ``way``, as asked for, after a link was asked for, after signing
    out (``ended``), or with a refusal."""
    drawn = {"subject": subject, "token": token, "sent": sent, "said": said, "email": email, "ended": ended}
    return page.render(way.template, status_code=status_code, pages=way.pages, field=way.field, **drawn)


def add_sign_in(router: APIRouter, way: LinkSignIn) -> None:
    """The sign-in's routes on ``router`` (below its prefix): the page, the link's request and
    the token's exchange."""

    def shown(page: Page, **drawn: Any) -> Response:
        return _shown(page, way, **drawn)

    @router.get("/sign-in", summary="Ask for a sign-in link, or (from the link) sign in")
    async def sign_in_page(
        page: PageOf,
        subject: UUID | None = Query(None, alias=way.field),
        token: str | None = Query(None, min_length=20, max_length=100, pattern=TOKEN_PATTERN),
        ended: bool = False,
    ) -> Response:
        return shown(page, subject=subject, token=token, ended=ended)

    @router.post("/sign-in-links", summary="Mail a sign-in link")
    async def request_link(page: PageOf, email: Annotated[str, Form(max_length=254)], csrf: Csrf = None) -> Response:
        checked(page.request, csrf)
        try:
            await way.service(page.services).call(
                "POST",
                f"{way.at}/sign-in-links",
                language=page.language,
                json={"email": email, "language": page.language},
            )
        except ServiceProblem as problem:
            return shown(page, said=page.refusal(problem), email=email, status_code=problem.status)
        return shown(page, sent=True, email=email)

    @router.post("/sign-in", summary="Exchange the link's one-time token for a session")
    async def sign_in(
        page: PageOf, token: FormToken, subject: UUID = Form(alias=way.field), csrf: Csrf = None
    ) -> Response:
        checked(page.request, csrf)
        try:
            exchange = {f"{way.field}_id": str(subject), "token": token}
            service = way.service(page.services)
            session = await service.call("POST", f"{way.at}/sessions", language=page.language, json=exchange)
        except ServiceProblem as problem:
            return shown(page, said=page.refusal(problem), status_code=problem.status)
        response = RedirectResponse(way.home, status_code=303)
        way.bearer.keep(
            response, session[way.answer_token], session["expires_in_seconds"], secure=page.settings.secure_cookies
        )
        return response


def add_sign_out(router: APIRouter, way: LinkSignIn) -> None:
    """Signing out: the service ends the session (``DELETE <at>/sessions``: the catalog and
    dispatch void every token of the account issued until then, in every service that takes
    it), then the cookie goes and the visitor is back at signing in. A token the service
    refuses already (401, 403) is signed out all the same. If the service cannot end it (it
    does not answer), the cookie goes all the same, but the page says the session stays valid
    elsewhere until it expires, and how to end it: a person leaving a shared phone must know."""

    @router.post("/sign-out", summary="Sign out: the service ends the session, and the cookie goes")
    async def sign_out(page: PageOf, csrf: Csrf = None) -> Response:
        checked(page.request, csrf)
        auth = way.bearer.of(page.request)
        if auth is None:
            return way.signed_out()
        try:
            await way.service(page.services).call("DELETE", f"{way.at}/sessions", language=page.language, headers=auth)
        except ServiceProblem as problem:
            if problem.status not in (401, 403):
                said = Said(page._(NOT_ENDED))
                response = _shown(page, way, said=said, status_code=503 if problem.status >= 500 else problem.status)
                way.bearer.forget(response)
                return response
        return way.signed_out(ended=True)
