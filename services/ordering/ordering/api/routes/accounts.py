# SPDX-License-Identifier: AGPL-3.0-or-later
"""Customer accounts without passwords: an e-mailed one-time link opens a session.

Asking for a link always answers 202, whether or not the address has an account (nobody
learns who shops here), and is throttled per client and per address (however it is spelt).
The link's token is only ever in the e-mail; exchanging it (once) gives a customer token and
retires the older links still open. The customer signs out (this token) or signs out
everywhere (every token issued until then); a signed-out token is refused from then on.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from downtown_events.runtime.http.openapi import also_answers
from ordering.api.deps import AppHandlers, Caller, Client, Container
from ordering.api.limits import SIGN_IN
from ordering.api.schemas import SessionIn, SessionOut, SignInLinkIn

router = APIRouter(tags=["customers"])


@router.post("/sign-in-links", status_code=status.HTTP_202_ACCEPTED, openapi_extra=also_answers(429))
async def request_sign_in_link(body: SignInLinkIn, container: Container, client: Client) -> dict[str, str]:
    """E-mail a one-time sign-in link to this address (valid for a few minutes)."""
    settings = container.settings
    await SIGN_IN.check_link_request(container.throttle, client, body.email)
    link = await container.handlers.customers.request_link(body.email)
    await container.sign_in_mail(link, body.language, settings.public_url)
    return {"detail": "if this address can receive mail, a sign-in link is on its way"}


@router.post(
    "/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionOut, openapi_extra=also_answers(403, 429)
)
async def sign_in(body: SessionIn, container: Container, handlers: AppHandlers, client: Client) -> SessionOut:
    """Exchange the link's token for a customer token; the link cannot be used again, nor
    can the older links still open."""
    await SIGN_IN.check_session(container.throttle, client)
    account_id = await handlers.customers.sign_in(body.account_id, body.token)
    lifetime = container.settings.customer_token_days * 86_400
    token = container.authenticator.issue(account_id, role="customer", lifetime_seconds=lifetime)
    return SessionOut(customer_token=token, account_id=account_id, expires_in_seconds=lifetime)


@router.delete(
    "/sessions/current",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    openapi_extra=also_answers(401, 403),
)
async def sign_out(caller: Caller, handlers: AppHandlers) -> None:
    """Sign out: the customer token sent is refused from now on (other devices stay signed in)."""
    await handlers.customers.sign_out(caller)


@router.delete(
    "/sessions", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, openapi_extra=also_answers(401, 403)
)
async def sign_out_everywhere(caller: Caller, handlers: AppHandlers) -> None:
    """Sign out everywhere (a lost phone, a shared computer): every customer token issued
    until now is refused, this one too; the next sign-in link gives a new one."""
    await handlers.customers.sign_out_everywhere(caller)
