# SPDX-License-Identifier: AGPL-3.0-or-later
"""Customer accounts without passwords: a one-time sign-in link sent by e-mail.

The link carries the account's id and a random token; only the token's SHA-256 is stored.
Using it once signs the customer in (the API then mints a customer token) and retires the
older links still open; a used, retired or expired link is refused. An account exists per
e-mail address (its id a keyed hash of the address, so an id tells nobody whether an
address has an account).

A customer token is checked against its account on every request (:meth:`CustomerHandlers.current`):
signed out (that token) or signed out everywhere (every token issued until then), it is refused
at once, by the kit's ``ensure_current`` as a revoked merchant token is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from downtown_events.runtime.commands import execute, load
from downtown_events.runtime.principal import InvalidToken, Principal, ensure_current
from downtown_events.runtime.texts import Texts
from downtown_events.sign_in_links import new_token, token_hash
from ordering.app.context import Context
from ordering.app.notifications import OutgoingMail, mail_texts
from ordering.domain import customer as customers
from ordering.domain.choices import Language
from ordering.domain.customer import CustomerAccount
from ordering.domain.errors import NotFound

SIGNED_OUT = "you signed out with this token; sign in again with a new link"


@dataclass(frozen=True)
class SignInLink:
    account_id: UUID
    email: str
    token: str = field(repr=False)
    link_id: UUID = field(default_factory=uuid4)


class CustomerHandlers:
    def __init__(self, context: Context, *, account_key: bytes, link_minutes: int) -> None:
        self._context = context
        self._store = context.store
        self._key = account_key
        self._lifetime = timedelta(minutes=link_minutes)

    async def request_link(self, email: str) -> SignInLink:
        address = customers.normalise_email(email)
        account_id = customers.account_id_for(address, key=self._key)
        token = new_token()
        now = self._context.now()
        link_id = uuid4()
        await execute(
            self._store,
            str(account_id),
            customers.replay,
            lambda state: customers.request_link(
                state,
                account_id=account_id,
                email=address,
                link_id=link_id,
                token_hash=token_hash(token),
                expires_at=now + self._lifetime,
                now=now,
            ),
        )
        return SignInLink(account_id, address, token, link_id)

    async def sign_in(self, account_id: UUID, token: str) -> UUID:
        """The account the link opens; the link cannot be used again."""
        now = self._context.now()
        digest = token_hash(token)
        await execute(
            self._store,
            str(account_id),
            customers.replay,
            lambda state: customers.sign_in(state, token_hash=digest, now=now),
        )
        return account_id

    async def current(self, principal: Principal) -> Principal:
        """The customer's token, if its account still takes it: not signed out, neither on
        its own nor everywhere. Read from the account's stream, so a sign-out holds at once."""
        account = await self._account(principal.customer())
        revoked = {str(token_id) for token_id in account.signed_out_tokens}
        return ensure_current(principal, account.tokens_valid_after, revoked=revoked, reason=SIGNED_OUT)

    async def sign_out(self, principal: Principal) -> None:
        """The token the customer sends is refused from now on (their other devices stay signed in)."""
        account_id = principal.customer()
        try:
            token_id = UUID(principal.token_id or "")
        except ValueError:
            raise InvalidToken("this token has no id to sign out; sign out everywhere instead") from None
        issued_at, now = principal.issued_at or self._context.now(), self._context.now()
        await execute(
            self._store,
            str(account_id),
            customers.replay,
            lambda state: customers.sign_out(state, token_id=token_id, issued_at=issued_at, now=now),
        )

    async def sign_out_everywhere(self, principal: Principal) -> None:
        """Every customer token of the account issued until now is refused (this one too)."""
        now = self._context.now()
        await execute(
            self._store,
            str(principal.customer()),
            customers.replay,
            lambda state: customers.sign_out_everywhere(state, now=now),
        )

    async def _account(self, account_id: UUID) -> CustomerAccount:
        try:
            account = await load(self._store, str(account_id), customers.replay)
        except NotFound:
            account = None
        if account is None:
            raise InvalidToken("no customer account for this token; sign in again")
        return account


def sign_in_mail(
    link: SignInLink, *, language: Language, public_url: str, minutes: int, texts: Texts | None = None
) -> OutgoingMail:
    """The e-mail carrying a sign-in link: the only place its token ever goes. Its words are
    the template ``mail/sign_in_link_customer.txt``; ``texts`` the town's (by default ordering's own)."""
    url = f"{public_url.rstrip('/')}/sign-in?account={link.account_id}&token={link.token}"
    text = (texts or mail_texts()).mail("mail/sign_in_link_customer.txt", language, url=url, minutes=minutes)
    return OutgoingMail(
        message_id=str(uuid5(NAMESPACE_URL, f"downtown:sign-in:{link.link_id}")),
        to_address=link.email,
        to_name="",
        subject=text.subject,
        body=text.body,
        language=language,
        about="SignInLinkIssued:customer",
    )
