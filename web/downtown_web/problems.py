# SPDX-License-Identifier: AGPL-3.0-or-later
"""A service's refusal in words a person acts on, in their language, next to the field concerned.

The services answer RFC 9457 problems written for developers (``customer.email: value is
not a valid email address``); a customer needs "Please enter a valid e-mail address." beside
the e-mail field. The message ids are English and translated in the front's catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from downtown_web.services import ServiceProblem
from downtown_web.words import N_

Translate = Callable[[str], str]


# The last part of a field's name → what to say (message ids of the catalogue, marked with N_).
FIELD_MESSAGES = {
    "email": N_("Please enter a valid e-mail address."),
    "name": N_("Please enter your name."),
    "phone": N_("Please enter a phone number (digits, spaces, + ( ) / -)."),
    "street": N_("Please enter the street and number."),
    "postal_code": N_("Please enter the postal code."),
    "city": N_("Please enter the town."),
    "quantity": N_("Please enter a number from 1."),
    "billing_address": N_("Paying on invoice needs your billing address."),
    "amount_cents": N_("Please enter an amount in euros, like 25 or 25,50, within what is offered."),
}
STATUS_MESSAGES = {
    401: N_("This link or session is no longer valid. Please sign in again."),
    403: N_("This is not open to you."),
    404: N_("This is no longer here."),
    409: N_("Something changed in the meantime (a price, the stock or a slot). Please look again and retry."),
    413: N_("That is too large to send."),
    429: N_("Too many tries. Please wait a little and try again."),
    503: N_("A part of the town's shop is not answering right now. Please try again in a minute."),
}
GENERIC = N_("That did not work. Please check your entries and try again.")


@dataclass
class Said:
    """What a page shows of a refusal: one message on top, and one per field."""

    message: str
    fields: dict[str, str] = field(default_factory=dict)


def words_for(problem: ServiceProblem, _: Translate) -> Said:
    fields = {}
    for error in problem.errors:
        name = error.get("field", "")
        last = name.rsplit(".", 1)[-1]
        fields[name] = _(FIELD_MESSAGES.get(last) or FIELD_MESSAGES.get(name.split(".", 1)[-1], GENERIC))
    if problem.status == 422 and fields:
        return Said(_("Please check the marked entries."), fields)
    if problem.status == 422:
        return Said(_(GENERIC))
    return Said(_(STATUS_MESSAGES.get(problem.status, GENERIC)))
