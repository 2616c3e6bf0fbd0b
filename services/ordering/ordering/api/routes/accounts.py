"""Customer accounts without passwords: an e-mailed one-time link opens a session.

Asking for a link always answers 202, whether or not the address has an account (nobody
learns who shops here), and is throttled per client and per address. The link's token is
only ever in the e-mail; exchanging it (once) gives a customer token.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, status

from downtown_events.runtime.http.openapi import also_answers
from downtown_events.runtime.throttle import Limit
from ordering.api.deps import AppHandlers, Client, Container
from ordering.api.schemas import SessionIn, SessionOut, SignInLinkIn

router = APIRouter(tags=["customers"])


@router.post("/sign-in-links", status_code=status.HTTP_202_ACCEPTED, openapi_extra=also_answers(429))
async def request_sign_in_link(body: SignInLinkIn, container: Container, client: Client) -> dict[str, str]:
    """E-mail a one-time sign-in link to this address (valid for a few minutes)."""
    settings = container.settings
    address = hashlib.sha256(body.email.encode()).hexdigest()
    await container.throttle.check(
        [(Limit("sign-in:client", 20, 3600), client), (Limit("sign-in:address", 5, 3600), address)]
    )
    link = await container.handlers.customers.request_link(body.email)
    await container.sign_in_mail(link, body.language, settings.public_url)
    return {"detail": "if this address can receive mail, a sign-in link is on its way"}


@router.post(
    "/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionOut, openapi_extra=also_answers(403, 429)
)
async def sign_in(body: SessionIn, container: Container, handlers: AppHandlers, client: Client) -> SessionOut:
    """Exchange the link's token for a customer token; the link cannot be used again."""
    await container.throttle.check([(Limit("session:client", 30, 600), client)])
    account_id = await handlers.customers.sign_in(body.account_id, body.token)
    lifetime = container.settings.customer_token_days * 86_400
    token = container.authenticator.issue(account_id, role="customer", lifetime_seconds=lifetime)
    return SessionOut(customer_token=token, account_id=account_id, expires_in_seconds=lifetime)
