# SPDX-License-Identifier: AGPL-3.0-or-later
"""The buyer's mails' wording: every sentence of the templates has its German, the templates
and catalogue travel in the wheel, and each mail in both languages is its golden file
(``golden/mails/<case>.<language>.txt``: the headers a person sees, the attachments' names,
the body; a wording changed on purpose: ``DOWNTOWN_UPDATE_GOLDEN=1``, then review the diff)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from downtown_events.runtime.mail import OutgoingMail
from downtown_events.vouchers import PurchaseItem
from tests.support.golden import assert_golden, assert_no_stale_golden
from vouchers.app.notifications import BuyerMail, MailVoucher, PaymentDetails, paid_vouchers, payment_instructions
from vouchers.domain.private_events import Gift
from vouchers.domain.purchase import Purchase
from vouchers.domain.sale import BuyerSecrets

SERVICE = Path(__file__).resolve().parents[2]
PACKAGE = SERVICE / "vouchers"
GOLDEN = Path(__file__).parent / "golden" / "mails"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}  # as `make translations` extracts
EVENT = UUID("00000000-0000-4000-8000-0000000000e1")
PURCHASE = UUID("5e1f0a2b-0000-4000-8000-000000000001")
FIRST, SECOND = UUID("5e1f0a2b-0000-4000-8000-0000000000a1"), UUID("5e1f0a2b-0000-4000-8000-0000000000a2")
ACCOUNT = PaymentDetails("Werbegemeinschaft Schöppingen e.V.", "DE89 3704 0044 0532 0130 00", "COBADEFFXXX")
CHECKOUT = "https://pay.example/checkout?ref={reference}&amount={amount_cents}"


def extracted() -> set[str]:
    with (SERVICE / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(PACKAGE), method_map, options_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def test_every_message_of_the_templates_is_in_the_german_catalogue_translated() -> None:
    """A sentence added without its German fails here: run ``make translations``, translate."""
    with (PACKAGE / "locale" / "de" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        parsed = read_po(po, locale="de")
    assert not parsed.obsolete
    # A plural's id is its singular and plural; extraction names it by its singular.
    translated = {
        entry.id if isinstance(entry.id, str) else entry.id[0]
        for entry in parsed
        if entry.id and entry.string and all(entry.string) and not entry.fuzzy
    }
    messages = extracted()
    assert len(messages) > 20 and translated == messages


def test_every_template_and_catalogue_is_package_data_of_the_wheel() -> None:
    globs = tomllib.loads((SERVICE / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["vouchers"]
    shipped = {path for pattern in globs for path in PACKAGE.glob(pattern)}
    texts = {path for folder in ("templates", "locale") for path in (PACKAGE / folder).rglob("*") if path.is_file()}
    assert texts and texts <= shipped


def purchase(language: str) -> Purchase:
    items = (
        PurchaseItem(voucher_id=FIRST, programme_id=FIRST, amount_cents=5000),
        PurchaseItem(voucher_id=SECOND, programme_id=SECOND, amount_cents=2000, gift=True),
    )
    secrets = BuyerSecrets(
        buyer_email="anna@example.org",
        buyer_ref="ref",
        access_token_hash="0" * 64,
        sealed_codes="sealed",
        code_hashes={FIRST: "a" * 32, SECOND: "b" * 32},
        gifts=(Gift(voucher_id=SECOND, recipient_name="Oma Grete"),),
        language=language,  # type: ignore[arg-type]
    )
    expires = datetime(2026, 3, 5, 16, 30, tzinfo=UTC)
    return Purchase(PURCHASE, "online", items, 7000, expires, secrets=secrets)


def buyer_mail(language: str, *, issued: bool = False, bonus: int = 0) -> BuyerMail:
    until = date(2029, 12, 31) if issued else None
    vouchers = (
        MailVoucher("Stadtgutschein Schöppingen", 5000 + bonus, bonus, expires_on=until),
        MailVoucher("Weinhandlung ter Haar", 2000, gift_for="Oma Grete", expires_on=until),
    )
    return BuyerMail(purchase(language), vouchers, "Schöppingen")


CASES: dict[str, Callable[[str], OutgoingMail | None]] = {
    "instructions_transfer": lambda language: payment_instructions(EVENT, buyer_mail(language), ACCOUNT),
    "instructions_checkout": lambda language: payment_instructions(
        EVENT, buyer_mail(language), PaymentDetails(checkout_url=CHECKOUT)
    ),
    "instructions_both": lambda language: payment_instructions(
        EVENT, buyer_mail(language), PaymentDetails(ACCOUNT.account_holder, ACCOUNT.iban, "", CHECKOUT)
    ),
    "instructions_neither": lambda language: payment_instructions(EVENT, buyer_mail(language), PaymentDetails()),
    "vouchers_attached": lambda language: paid_vouchers(EVENT, buyer_mail(language, issued=True), b"%PDF-1.4"),
    "vouchers_with_bonus": lambda language: paid_vouchers(
        EVENT, buyer_mail(language, issued=True, bonus=500), b"%PDF-1.4"
    ),
    "vouchers_without_pdf": lambda language: paid_vouchers(EVENT, buyer_mail(language, issued=True), None),
}


def cases() -> Iterator[tuple[str, str]]:
    for case in CASES:
        for language in ("de", "en"):
            yield case, language


def shown(mail: OutgoingMail) -> str:
    attached = "".join(f"Attachment: {a.filename} ({a.content_type})\n" for a in mail.attachments)
    return f"To: {mail.to_address}\nSubject: {mail.subject}\n{attached}\n{mail.body}"


@pytest.mark.parametrize(("case", "language"), list(cases()))
def test_each_buyer_mail_reads_as_its_golden_file(case: str, language: str) -> None:
    mail = CASES[case](language)
    assert mail is not None and mail.language == language
    assert_golden(GOLDEN / f"{case}.{language}.txt", shown(mail))


def test_no_golden_mail_is_left_that_no_case_renders() -> None:
    assert_no_stale_golden(GOLDEN, [f"{case}.{language}.txt" for case, language in cases()])
