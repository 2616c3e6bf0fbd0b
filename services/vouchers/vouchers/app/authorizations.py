# SPDX-License-Identifier: AGPL-3.0-or-later
"""Voucher payment authorisations: whoever holds a code lets orders take part of the voucher.

The code is shown here once and never travels further: the answer's random
``authorization_id`` is what the customer gives ordering at checkout, and what the orders
name (``payment.voucher_authorization_id``). Nothing is redeemed here; each order's
redemption, when vouchers hears of the order, decides on the voucher's balance then (see
``order_payments``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from downtown_events.runtime.idempotency import create_once
from vouchers.app.context import Context, voucher_of
from vouchers.app.redemptions import RedemptionHandlers
from vouchers.domain import authorization as authorizations
from vouchers.domain.authorization import Authorization
from vouchers.domain.codes import code_hash, parse_code
from vouchers.domain.commands import AuthorizeVoucherPayment
from vouchers.domain.errors import AlreadyExists
from vouchers.domain.voucher import Voucher, ensure_exists


@dataclass(frozen=True)
class Authorized:
    authorization: Authorization
    voucher: Voucher
    created: bool  # False: a retried request, answered with the first one's authorisation


class AuthorizationHandlers:
    def __init__(self, context: Context, redemptions: RedemptionHandlers, *, valid_for: timedelta) -> None:
        self._context = context
        self._redemptions = redemptions
        self._valid_for = valid_for

    def _authorization_id(self, idempotency_key: str | None) -> UUID:
        """Random without a key; with one, derived from it under the town's secret, so a retry
        finds its authorisation and nobody can tell an authorisation's id from the key."""
        if idempotency_key is None:
            return uuid4()
        keyed = hmac.new(self._context.code_key, f"authorization:{idempotency_key}".encode(), "sha256").hexdigest()
        return uuid5(NAMESPACE_URL, f"downtown:authorization:{keyed}")

    async def authorize(self, command: AuthorizeVoucherPayment) -> Authorized:
        """Found by code as the balance look-up finds it (a malformed, mistyped or unknown code,
        or another town's, all end in the same 404), then authorised for what it holds now."""
        voucher = await self._redemptions.look_up(command.code)
        authorization_id = self._authorization_id(command.idempotency_key)
        now, today = self._context.now(), self._context.today()
        # The request's fingerprint is kept with the events: of the code's keyed hash, never the code.
        code = parse_code(command.code)
        fingerprinted = replace(command, code=code_hash(self._context.code_key, code))
        authorization, created = await create_once(
            self._context.store,
            str(authorization_id),
            authorizations.replay,
            lambda state: authorizations.authorize(
                state,
                authorization_id=authorization_id,
                voucher=voucher,
                amount_cents=command.amount_cents,
                now=now,
                valid_for=self._valid_for,
                today=today,
                masked_code=code.masked,
            ),
            command=fingerprinted,
            idempotency_key=command.idempotency_key,
            exists=AlreadyExists,
        )
        if not created:  # a replay: what the voucher holds now
            if authorization.voucher_id is None:
                raise AlreadyExists("this authorisation exists already")
            voucher = ensure_exists(await voucher_of(self._context.store, authorization.voucher_id))
        return Authorized(authorization, voucher, created)
