# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier signs in as a merchant or a customer does: an e-mailed one-time link opens a session.

Asking for a link always answers 202 with the same words, whether or not a courier has the
address (nobody learns who rides here by asking), and is throttled per client and per address
however it is spelt (the kit's ``canonical_email``; the bucket is the address's hash, so the
throttle's table holds no address). The link's token is only ever in the e-mail; exchanging
it, once, gives the courier's bearer token — the same the association hands out
(``POST /couriers/{id}/token``), which stays for machines. Signing out ends every token of the
courier issued until then.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Response, status
from pydantic import BaseModel, ConfigDict, Field

from dispatch.api.deps import Container, CurrentCourier
from downtown_events.runtime.http.deps import Client
from downtown_events.runtime.http.fields import Email
from downtown_events.runtime.http.openapi import also_answers
from downtown_events.runtime.http.sign_in import LinkToken, MailLanguage, SignInLimits, mail_after_answer

LIMITS = SignInLimits.named("courier-")
SENT = "if a courier of this town has this address, a sign-in link is on its way to it"

router = APIRouter(prefix="/couriers", tags=["courier sign-in"])


class SignInLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email = Field(description="the e-mail address the association gave for the courier")
    language: MailLanguage = Field(default="de", description="the language of the mail")


class SignInLinkSent(BaseModel):
    detail: str = Field(description="the same words whether or not a courier has this address")


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    courier_id: UUID = Field(description="`courier` of the link")
    token: LinkToken = Field(description="`token` of the link")


class SessionOut(BaseModel):
    token: str = Field(description="the courier's bearer token: send as 'Authorization: Bearer <token>'")
    courier_id: UUID
    expires_in_seconds: int


@router.post(
    "/sign-in-links",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SignInLinkSent,
    summary="E-mail a courier a one-time sign-in link",
    openapi_extra=also_answers(429),
)
async def request_sign_in_link(
    body: SignInLinkIn, container: Container, client: Client, background: BackgroundTasks
) -> SignInLinkSent:
    """If the association gave this address for a courier, a link that signs them in once,
    within a few minutes (`sign_in_link_minutes`), is mailed there:
    `<web>/courier/sign-in?courier=<id>&token=<token>`. The answer is 202 with the same words
    either way. Too many tries from one client or for one address answer 429."""
    await LIMITS.check_link_request(container.throttle, client, body.email)
    mail_after_answer(background, container.sign_in.request_links, container.sign_in_mail, body.email, body.language)
    return SignInLinkSent(detail=SENT)


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionOut,
    summary="Exchange a sign-in link for the courier's token",
    openapi_extra=also_answers(403, 429),
)
async def sign_in(body: SessionIn, container: Container, client: Client) -> SessionOut:
    """The link's `courier` and `token` give the courier's bearer token, once: the link cannot
    be used again, nor the older links still open. A used, replaced, expired or unknown link,
    or a removed courier, is refused (403) with the reason, and no token is given."""
    await LIMITS.check_session(container.throttle, client)
    session = await container.sign_in.sign_in(body.courier_id, body.token)
    return SessionOut(token=session.token, courier_id=session.courier_id, expires_in_seconds=session.expires_in_seconds)


@router.delete(
    "/sessions",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Sign the courier out: every token of theirs issued until now stops working",
    openapi_extra=also_answers(401, 403),
)
async def sign_out(courier: CurrentCourier, container: Container) -> None:
    """The token sent, and every other courier token of the courier issued until now (another
    phone's, one the association handed over), is refused from now on, once the roster hears
    of it (a moment). A new session takes a new sign-in link."""
    await container.sign_in.sign_out(courier.courier_service_id, courier.courier_id, datetime.now(UTC))
