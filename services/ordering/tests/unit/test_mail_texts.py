# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's texts as files: every message translated, every file in the wheel, a town's
wording and a third language without a code change (the wording itself is held by the
golden mails, ``test_golden_mails.py``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast
from uuid import UUID

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from downtown_events.ordering import Fulfilment, OrderLine, OrderPlaced, OrderReadyForPickup, Payment, TimeSlot
from ordering.app.notifications import (
    CustomerContact,
    Language,
    MerchantContact,
    OrderContext,
    mail_texts,
    notifications_for,
    without_reply_to,
)

SERVICE = Path(__file__).resolve().parents[2]
PACKAGE = SERVICE / "ordering"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}  # as `make translations` extracts


def extracted() -> set[str]:
    """The message ids `make translations` would extract now (babel.cfg, the same keywords)."""
    with (SERVICE / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(PACKAGE), method_map, options_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def catalogue(language: str) -> dict[str, object]:
    with (PACKAGE / "locale" / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        parsed = read_po(po, locale=language)
    assert not parsed.obsolete, f"obsolete entries in {language}: run make translations"
    return {
        (entry.id if isinstance(entry.id, str) else entry.id[0]): entry
        for entry in parsed
        if entry.id and not entry.fuzzy and all(entry.string if isinstance(entry.string, tuple) else [entry.string])
    }


def test_every_message_of_the_templates_is_in_the_german_catalogue_translated() -> None:
    """A sentence added to a template without its German (or a German for a sentence no
    longer written) fails here: run ``make translations`` and translate what is empty."""
    messages = extracted()
    assert len(messages) > 80
    assert set(catalogue("de")) == messages


def test_every_template_and_catalogue_is_package_data_of_the_wheel() -> None:
    """What setuptools puts in the wheel is what pyproject's package-data globs match."""
    globs = tomllib.loads((SERVICE / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["ordering"]
    shipped = {path for pattern in globs for path in PACKAGE.glob(pattern)}
    texts = {path for folder in ("templates", "locale") for path in (PACKAGE / folder).rglob("*") if path.is_file()}
    assert texts and texts <= shipped


def test_an_installed_package_finds_its_templates_and_catalogue(tmp_path: Path) -> None:
    """The package as the wheel lays it out (its .py files and package data only, in another
    folder) renders a German mail: templates and .po are found through the package, not the
    source tree."""
    globs = tomllib.loads((SERVICE / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["ordering"]
    site = tmp_path / "site"
    for path in [*PACKAGE.rglob("*.py"), *(p for pattern in globs for p in PACKAGE.glob(pattern))]:
        target = site / "ordering" / path.relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    script = textwrap.dedent(
        """
        import sys
        import ordering
        from ordering.app.notifications import mail_texts
        assert ordering.__file__.startswith(sys.argv[1]), ordering.__file__
        print(mail_texts().mail("mail/sign_in_link_customer.txt", "de", url="https://x.example/", minutes=15).subject)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(site)],
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "Ihr Anmeldelink"


def pickup_order(language: str) -> OrderContext:
    """Bread collected in a window on Monday 2 March 2026, 15:00–16:00 in Schöppingen."""
    placed_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    line = OrderLine(
        offer_id=UUID(int=1), kind="product", title="Apfelkuchen", quantity=1, unit_price_cents=1535, vat_rate_percent=7
    )
    window = TimeSlot(starts_at=datetime(2026, 3, 2, 14, tzinfo=UTC), ends_at=datetime(2026, 3, 2, 15, tzinfo=UTC))
    placed = OrderPlaced(
        order_id=UUID("4b1d5e7a-9c2f-4e3a-8b6d-0f1e2d3c4b5a"),
        checkout_id=UUID(int=2),
        merchant_id=UUID(int=3),
        lines=[line],
        fulfilment=Fulfilment(method="pickup", pickup_window=window),
        payment=Payment(method="at_pickup"),
        goods_cents=1535,
        total_cents=1535,
        merchant_answer_by=placed_at + timedelta(hours=2),
        cancellable_until=placed_at + timedelta(minutes=30),
    )
    return OrderContext(
        placed=placed,
        customer=CustomerContact(name="Jörg Müller-Weiß", email="joerg@example.org", language=cast(Language, language)),
        merchant=MerchantContact(name="Bäckerei Öztürk", email="laden@oeztuerk.example"),
        town_name="Schöppingen",
    )


def write(root: Path, relative: str, text: str) -> None:
    path = root / "ordering" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


FRENCH = """\
    msgid ""
    msgstr ""
    "Language: fr\\n"
    "Content-Type: text/plain; charset=UTF-8\\n"
    "Plural-Forms: nplurals=2; plural=(n > 1);\\n"

    msgid "Your order from %(merchant)s has been received"
    msgstr "Votre commande chez %(merchant)s est bien reçue"

    msgid "Hello %(name)s,"
    msgstr "Bonjour %(name)s,"

    msgid "EEE d MMM yyyy"
    msgstr "EEE d MMM yyyy"

    msgid "Total: %(amount)s"
    msgstr "Total : %(amount)s"
    """


def test_a_third_language_is_one_file_in_the_towns_texts_directory(tmp_path: Path) -> None:
    """A town drops ``ordering/locale/fr/LC_MESSAGES/messages.po`` into its
    ``DOWNTOWN_TEXTS_DIR``: a French customer's mail is French wherever it is translated,
    English elsewhere, amounts and dates as French readers write them."""
    write(tmp_path, "locale/fr/LC_MESSAGES/messages.po", FRENCH)
    order = pickup_order("fr")
    (mail,) = [
        mail
        for mail in notifications_for(order.placed, UUID(int=7), order, mail_texts(tmp_path, order.timezone))
        if mail.about == "OrderPlaced:customer"
    ]
    assert mail.subject == "Votre commande chez Bäckerei Öztürk est bien reçue"
    assert mail.body.startswith("Bonjour Jörg Müller-Weiß,\n\nThank you for your order 4B1D5E7A")
    assert "Total : 15,35\u00a0€" in mail.body and "lun. 2 mars 2026, 15:00–16:00" in mail.body


def test_a_town_changes_a_wording_with_a_template_and_a_catalogue_entry(tmp_path: Path) -> None:
    """The town's template replaces the package's; its catalogue entry wins over the
    package's; every other mail and sentence stays as ordering writes it."""
    write(
        tmp_path,
        "templates/mail/order_ready_for_pickup_customer.txt",
        """\
        {% extends "mail/_customer.txt" %}
        {% block subject %}{{ _("Your order is ready at %(merchant)s", merchant=merchant) }}{% endblock %}
        {% block letter %}
        {{ _("Your order %(reference)s is ready for you to collect.", reference=order.reference) }}
        Der Marktplatz ist samstags gesperrt: bitte über die Kirchstraße kommen.
        {% endblock %}
        """,
    )
    write(
        tmp_path,
        "locale/de/LC_MESSAGES/messages.po",
        """\
        msgid ""
        msgstr ""
        "Language: de\\n"
        "Content-Type: text/plain; charset=UTF-8\\n"

        msgid "Kind regards"
        msgstr "Mit freundlichen Grüßen"
        """,
    )
    texts = mail_texts(tmp_path, "Europe/Berlin")
    order = pickup_order("de")
    ready = OrderReadyForPickup(order_id=order.placed.order_id, merchant_id=order.placed.merchant_id)
    (mail,) = notifications_for(ready, UUID(int=8), order, texts)
    assert mail.subject == "Ihre Bestellung liegt bei Bäckerei Öztürk bereit"
    assert "Ihre Bestellung 4B1D5E7A liegt zur Abholung für Sie bereit.\nDer Marktplatz" in mail.body
    assert "\n\nMit freundlichen Grüßen\nBäckerei Öztürk\n\n-- \n" in mail.body
    (placed, _) = notifications_for(order.placed, UUID(int=9), order, texts)
    assert "Mit freundlichen Grüßen" in placed.body and "Zeitfenster: Mo., 02.03.2026, 15:00–16:00 Uhr" in placed.body
    # A reply address the server cannot carry: the town's catalogue words the note too.
    assert "Hinweis: Antworten auf diese E-Mail" in without_reply_to(placed.body, "de", "jörg@example.org", texts)


@pytest.mark.parametrize("language", ["de", "en"])
def test_without_reply_to_also_reads_a_mail_queued_in_the_old_wording(language: str) -> None:
    """Mails queued before the templates carry the same sentences: the promise is found."""
    promise = {
        "de": "Diese E-Mail wurde automatisch versandt; wenn Sie antworten, erreicht Ihre Antwort Laden.",
        "en": "This e-mail was sent automatically; if you reply, your reply reaches Laden.",
    }[language]
    body = f"Hallo,\n\nText.\n\nGrüße\nLaden\n\n-- \nBestellt. {promise}\n"
    cleaned = without_reply_to(body, language, "ä@example.org")
    assert "Antwort Laden" not in cleaned and "reply reaches Laden" not in cleaned
    assert cleaned.endswith(promise.partition(";")[0] + ".\n")
