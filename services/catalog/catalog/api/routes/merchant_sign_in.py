# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant signs in as a customer does: an e-mailed one-time link opens a session.

Asking for a link always answers 202 with the same words, whether or not a merchant has the
address (nobody learns who trades here by asking), and is throttled per client and per
address however it is spelt (the kit's ``canonical_email``; the bucket is the address's hash,
so the throttle's table holds no address). The link's token is only ever in the e-mail;
exchanging it, once, gives the merchant's bearer token — the same a registration or the
association hands out, which stays for machines (a till, a script). Signing out ends every
token of the merchant issued until then, in every service of the town.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, BackgroundTasks, Response, status

from catalog.api.deps import Caller, Container, Handlers
from catalog.api.schemas import SessionIn, SessionOut, SignInLinkIn, SignInLinkSent
from downtown_events.runtime.http.deps import Client
from downtown_events.runtime.http.openapi import also_answers
from downtown_events.runtime.http.sign_in import SignInLimits, mail_after_answer

LIMITS = SignInLimits.named("merchant-")
SENT = "if a merchant of this town has this address, a sign-in link is on its way to it"

router = APIRouter(prefix="/merchants", tags=["merchant sign-in"])


@router.post(
    "/sign-in-links",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SignInLinkSent,
    summary="E-mail a merchant a one-time sign-in link",
    openapi_extra=also_answers(429),
)
async def request_sign_in_link(
    body: SignInLinkIn, container: Container, client: Client, background: BackgroundTasks
) -> SignInLinkSent:
    """If a merchant's profile names this address, a link that signs it in once, within a few
    minutes (`sign_in_link_minutes`), is mailed there: `<web>/merchant/sign-in?merchant=<id>&token=<token>`.
    The answer is 202 with the same words either way. Too many tries from one client or for
    one address answer 429."""
    await LIMITS.check_link_request(container.throttle, client, body.email)
    mail_after_answer(background, container.sign_in.request_links, container.sign_in_mail, body.email, body.language)
    return SignInLinkSent(detail=SENT)


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionOut,
    summary="Exchange a sign-in link for the merchant's token",
    openapi_extra=also_answers(403, 429),
)
async def sign_in(body: SessionIn, container: Container, client: Client) -> SessionOut:
    """The link's `merchant` and `token` give the merchant's bearer token, once: the link
    cannot be used again, nor the older links still open. A used, replaced, expired or unknown
    link, or a suspended merchant, is refused (403) with the reason, and no token is given."""
    await LIMITS.check_session(container.throttle, client)
    merchant_id = await container.sign_in.sign_in(body.merchant_id, body.token)
    settings = container.settings
    return SessionOut(
        token=container.tokens.issue_merchant_token(merchant_id),
        merchant_id=merchant_id,
        expires_in_seconds=settings.merchant_token_days * 86_400,
    )


@router.delete(
    "/sessions",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Sign the merchant out: every token of it issued until now stops working",
    openapi_extra=also_answers(401, 403),
)
async def sign_out(caller: Caller, handlers: Handlers) -> None:
    """The token sent, and every other token of the merchant issued until now (its other
    devices', a till's), is refused from now on: by the catalog at once, by the other services
    of the town as soon as their copy of the merchant hears of it (a moment). A new session
    takes a new sign-in link; a till a new token from the association."""
    await handlers.sign_out_merchant(caller, datetime.now(UTC))
