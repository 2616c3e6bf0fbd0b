# SPDX-License-Identifier: AGPL-3.0-or-later
"""A quote's warnings in the customer's words: one sentence per code, from ordering's
catalogues (English is the message id; German in ``locale/de``; a town's own wording in its
``DOWNTOWN_TEXTS_DIR``), amounts and times written as the reader's language writes them."""

from __future__ import annotations

from datetime import datetime

import babel.dates

from downtown_events.money import Language, format_money
from downtown_events.runtime.texts import Texts
from ordering.domain.quote import QuoteWarning, WarningCode


def N_(message: str) -> str:
    """Marks a sentence for ``make translations``; translated when it is written out."""
    return message


SENTENCES: dict[WarningCode, str] = {
    "merchant_unknown": N_("This shop is not known here yet; try again in a moment."),
    "merchant_suspended": N_("The town's association has suspended %(title)s; take its offers out of the basket."),
    "merchant_closed": N_("%(title)s is closed for now%(note)s; order there again once it reopens."),
    "offer_gone": N_("%(title)s is not offered any more; take it out of the basket."),
    "offer_withdrawn": N_("The shop has withdrawn %(title)s; take it out of the basket."),
    "out_of_stock": N_("%(title)s: only %(left)s left, %(wanted)s in the basket; lower the quantity."),
    "price_changed": N_("%(title)s costs %(new)s now instead of %(old)s; put it in again to confirm the new price."),
    "slot_not_bookable": N_("%(title)s cannot be booked for %(when)s any more; choose another time."),
    "slot_booked": N_("%(title)s at %(when)s was booked by another customer; choose another time."),
    "slot_held_elsewhere": N_("Another customer is booking %(title)s at %(when)s right now; choose another time."),
    "slot_hold_ended": N_("%(title)s at %(when)s is no longer kept for you; put it in again to keep it."),
    "no_delivery_here": N_("%(title)s cannot deliver to %(postal_code)s; choose pickup."),
}


def warning_text(warning: QuoteWarning, language: Language, texts: Texts) -> str:
    """The warning's sentence in ``language``, its values filled in."""
    values: dict[str, object] = {"title": warning.title, **warning.values}
    if "old_cents" in values and "new_cents" in values:
        values["old"] = format_money(int(warning.values["old_cents"]), language)
        values["new"] = format_money(int(warning.values["new_cents"]), language)
    if "starts_at" in values:
        moment = datetime.fromisoformat(str(values["starts_at"]))
        values["when"] = babel.dates.format_datetime(moment, "short", tzinfo=texts.zone, locale=language)
    note = str(values.get("note") or "")
    values["note"] = f" ({note})" if note else ""
    return texts.gettext(language, SENTENCES[warning.code]) % values
