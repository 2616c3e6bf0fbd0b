# SPDX-License-Identifier: AGPL-3.0-or-later
"""One language per mail: a German mail holds no English sentence, an English one no German.

Every golden mail is rendered in both languages, and so is every rejection with the details
the saga really writes (the time-out's, the catalog's refusals, vouchers' refusals, a voucher
part redeemed at the wrong amount): those details are English for operators and must never
reach a customer's mail. A sentence counts as one language's when it is a template's
message (English) or its translation (German), or one of the English details below; text a
person typed (titles, names, a merchant's note) is theirs, in whatever language they wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from babel.messages.pofile import read_po

import ordering
from downtown_events.ordering import OrderRejected, RejectionReason
from ordering.app.notifications import Language, OrderContext, OutgoingMail, notifications_for
from ordering.domain import order as orders
from services.ordering.tests.unit.test_golden_mails import (
    CASES,
    LANGUAGES,
    booking_order,
    delivery_order,
    in_language,
    pickup_order,
)

ENGLISH_DETAILS = (
    # the catalog's reservation refusals
    "Brötchen „Spezial“: only 2 left",
    "Fahrradinspektion: that time was booked a moment ago",
    "the offer is withdrawn",
    "the shop is closed for now",
    "the catalog does not know this shop",
    # vouchers' payment refusals
    "the voucher has too little left for this order",
    "the voucher's authorisation has expired",
)
"""Details the catalog and vouchers write into their refusals today (in English, for operators)."""
ENGLISH_FRAGMENTS = ("did not answer in time", "did not arrive in time", "booked a moment ago", "was redeemed as")
"""Pieces of every English detail, including those ordering's domain writes itself."""
CATALOGUE = Path(ordering.__file__).parent / "locale" / "de" / "LC_MESSAGES" / "messages.po"
SHORTEST = 14
"""Shorter pieces of a message ("%(day)s, %(time)s", "Total: ") say nothing of its language."""


def sentences(language: Language) -> set[str]:
    """The pieces of every message of the catalogue in ``language`` (the English ids, or the
    German translations) between its placeholders, long enough to tell a language by."""
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po, locale="de")
    texts: list[str] = []
    for entry in catalogue:
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        texts += ids if language == "en" else [text for text in strings if text]
    pieces = (piece.strip(' .,:;()"“”') for text in texts for piece in re.split(r"%\(\w+\)s|%%|\n", text))
    return {piece for piece in pieces if len(piece) >= SHORTEST}


def rejections() -> Iterator[tuple[str, OrderRejected, OrderContext]]:
    """Every rejection with a detail the saga writes: the domain's own, the catalog's, vouchers'."""
    order = orders.replay([delivery_order().placed])
    timed_out = orders.time_out(order, now=order.merchant_answer_by + timedelta(seconds=1))
    yield "timed_out", _only(timed_out), delivery_order()
    wrong = orders.record_voucher_redeemed(order, voucher_id=UUID(int=1), redemption_id=UUID(int=2), voucher_cents=5)
    yield "voucher_redeemed_wrongly", _only(wrong), delivery_order()
    reasons: dict[str, RejectionReason] = {
        "left": "out_of_stock",
        "booked": "slot_taken",
        "withdrawn": "offer_unavailable",
    }
    for detail in ENGLISH_DETAILS:
        reason = next((code for word, code in reasons.items() if word in detail), None)
        reason = reason or ("voucher_refused" if "voucher" in detail else "merchant_unavailable")
        context = booking_order() if reason == "slot_taken" else pickup_order()
        yield (
            detail,
            OrderRejected(order_id=UUID(int=3), merchant_id=UUID(int=4), reason=reason, detail=detail),
            context,
        )


def _only(events: list[object]) -> OrderRejected:
    (event,) = events
    assert isinstance(event, OrderRejected)
    return event


def every_mail(language: Language) -> Iterator[tuple[str, OutgoingMail]]:
    for name, case in CASES.items():
        event, order = case()
        for mail in notifications_for(event, UUID(int=7), in_language(order, language)):
            yield name, mail
    for name, rejected, order in rejections():
        for mail in notifications_for(rejected, UUID(int=8), in_language(order, language)):
            yield f"rejected ({name})", mail


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_mail_speaks_its_readers_language_alone(language: Language) -> None:
    other: Language = "en" if language == "de" else "de"
    foreign = sentences(other) - sentences(language)  # a piece both catalogues share is no tell
    if other == "en":
        foreign |= {*ENGLISH_DETAILS, *ENGLISH_FRAGMENTS}
    assert len(foreign) > 50
    mails = list(every_mail(language))
    assert len(mails) > 40
    for name, mail in mails:
        assert mail.language == language
        text = f"{mail.subject}\n{mail.body}"
        found = sorted(piece for piece in foreign if piece in text)
        assert not found, f"{name} ({mail.about}, {language}) holds {other} text: {found}\n\n{text}"
