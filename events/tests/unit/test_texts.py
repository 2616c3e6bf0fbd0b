# SPDX-License-Identifier: Apache-2.0
"""The kit's texts: templates and catalogues of a package, a town's directory over them."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from jinja2 import UndefinedError

from downtown_events.runtime.texts import Texts, paragraphs

GERMAN = """\
msgid ""
msgstr ""
"Language: de\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Hello %(name)s,"
msgstr "Guten Tag %(name)s,"

msgid "Kind regards"
msgstr "Viele Grüße"

#, fuzzy
msgid "Not yet checked"
msgstr "Noch nicht geprüft"

msgid "EEE d MMM yyyy, HH:mm"
msgstr "EEE, dd.MM.yyyy, HH:mm 'Uhr'"

msgid "%(num)s voucher"
msgid_plural "%(num)s vouchers"
msgstr[0] "%(num)s Gutschein"
msgstr[1] "%(num)s Gutscheine"
"""

TEMPLATES = {
    "mail/hello.txt": 'Subject: {{ _("Hello %(name)s,", name=name) }}\n\n{{ _("Kind regards") }}\n',
    "page.html": "<p>{{ name }}</p>",
    "plain.txt": "{{ name }} & {{ _('Not yet checked') }}",
    "when.txt": '{{ moment|datetime(_("EEE d MMM yyyy, HH:mm")) }}',
}


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An importable package with templates and a German catalogue, as a service has."""
    name = f"texts_fixture_{uuid4().hex[:8]}"
    root = tmp_path / "site" / name
    for template, text in TEMPLATES.items():
        (root / "templates" / template).parent.mkdir(parents=True, exist_ok=True)
        (root / "templates" / template).write_text(text)
    (root / "locale" / "de" / "LC_MESSAGES").mkdir(parents=True)
    (root / "locale" / "de" / "LC_MESSAGES" / "messages.po").write_text(GERMAN)
    (root / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield name


def town_dir(tmp_path: Path, package: str, files: dict[str, str]) -> Path:
    root = tmp_path / "town"
    for relative, text in files.items():
        path = root / package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_template_speaks_the_readers_language_and_english_needs_no_catalogue(package: str) -> None:
    texts = Texts(package)
    assert texts.mail("mail/hello.txt", "de", name="Jörg").subject == "Guten Tag Jörg,"
    assert texts.mail("mail/hello.txt", "de", name="Jörg").body == "Viele Grüße\n"
    assert texts.mail("mail/hello.txt", "en", name="Jörg").subject == "Hello Jörg,"
    assert texts.gettext("de", "Kind regards") == "Viele Grüße"


def test_plain_text_is_not_escaped_and_html_is(package: str) -> None:
    texts = Texts(package)
    assert texts.render("plain.txt", "en", name="Brüggemann & Söhne <b>") == "Brüggemann & Söhne <b> & Not yet checked"
    assert texts.render("page.html", "en", name="Brüggemann & Söhne <b>") == "<p>Brüggemann &amp; Söhne &lt;b&gt;</p>"


def test_a_fuzzy_translation_is_left_out_as_msgfmt_does(package: str) -> None:
    assert Texts(package).render("plain.txt", "de", name="x") == "x & Not yet checked"


def test_plurals_follow_the_catalogue(package: str) -> None:
    environment = Texts(package).environment("de")
    template = environment.from_string('{{ ngettext("%(num)s voucher", "%(num)s vouchers", n) }}')
    assert [template.render(n=n) for n in (1, 3)] == ["1 Gutschein", "3 Gutscheine"]


def test_moments_are_written_in_the_towns_zone_with_the_languages_pattern(package: str) -> None:
    texts = Texts(package, zone="Europe/Berlin")
    moment = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    assert texts.render("when.txt", "de", moment=moment) == "Mo., 14.12.2026, 10:00 Uhr"
    assert texts.render("when.txt", "en", moment=moment) == "Mon 14 Dec 2026, 10:00"
    environment = texts.environment("de")
    assert environment.from_string('{{ d|date("dd.MM.yyyy") }}').render(d=date(2026, 3, 2)) == "02.03.2026"
    assert environment.from_string('{{ m|time("HH:mm") }}').render(m=moment) == "10:00"
    assert environment.from_string("{{ (m|local).hour }}").render(m=moment) == "10"


def test_money_is_written_once_as_the_kit_writes_it(package: str) -> None:
    texts = Texts(package)
    assert texts.environment("de").from_string("{{ 123450|money }}").render() == "1.234,50\u00a0€"
    assert texts.environment("en").from_string("{{ -250|money }}").render() == "-€2.50"


def test_a_value_the_template_is_not_given_fails_instead_of_printing_nothing(package: str) -> None:
    with pytest.raises(UndefinedError):
        Texts(package).render("plain.txt", "en")


def test_a_mail_template_must_begin_with_its_subject(package: str) -> None:
    with pytest.raises(ValueError, match="Subject"):
        Texts(package).mail("plain.txt", "en", name="x")


def test_a_town_replaces_a_template_and_a_translation_and_the_package_fills_the_rest(
    package: str, tmp_path: Path
) -> None:
    town = town_dir(
        tmp_path,
        package,
        {
            "templates/mail/hello.txt": 'Subject: {{ _("Hello %(name)s,", name=name) }}!\n\nMoin.\n',
            "locale/de/LC_MESSAGES/messages.po": """\
                msgid ""
                msgstr ""
                "Language: de\\n"
                "Content-Type: text/plain; charset=UTF-8\\n"

                msgid "Hello %(name)s,"
                msgstr "Moin %(name)s,"
                """,
        },
    )
    texts = Texts(package, override=town)
    mail = texts.mail("mail/hello.txt", "de", name="Jörg")
    assert (mail.subject, mail.body) == ("Moin Jörg,!", "Moin.\n")
    assert texts.gettext("de", "Kind regards") == "Viele Grüße"  # the package's, the town has none
    assert Texts(package).mail("mail/hello.txt", "de", name="Jörg").subject == "Guten Tag Jörg,"


def test_a_third_language_is_a_file_in_the_towns_directory(package: str, tmp_path: Path) -> None:
    town = town_dir(
        tmp_path,
        package,
        {
            "locale/fr/LC_MESSAGES/messages.po": """\
                msgid ""
                msgstr ""
                "Language: fr\\n"
                "Content-Type: text/plain; charset=UTF-8\\n"

                msgid "Hello %(name)s,"
                msgstr "Bonjour %(name)s,"
                """
        },
    )
    texts = Texts(package, override=town)
    assert texts.mail("mail/hello.txt", "fr", name="Jörg").subject == "Bonjour Jörg,"
    assert texts.mail("mail/hello.txt", "fr", name="Jörg").body == "Kind regards\n"  # untranslated: English
    assert texts.environment("fr").from_string("{{ 123450|money }}").render() == "1\u202f234,50\u00a0€"


def test_a_town_template_that_fails_is_logged_and_the_packages_own_is_used(
    package: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    town = town_dir(tmp_path, package, {"templates/mail/hello.txt": "Subject: {{ nmae }}\n\nHi\n"})
    with caplog.at_level(logging.ERROR, logger="downtown_events.runtime.texts"):
        mail = Texts(package, override=town).mail("mail/hello.txt", "en", name="Jörg")
    assert mail.subject == "Hello Jörg,"
    assert "failed to render" in caplog.text


def test_a_language_is_a_name_never_a_path(package: str, tmp_path: Path) -> None:
    town = town_dir(tmp_path, package, {"secret/LC_MESSAGES/messages.po": GERMAN})
    texts = Texts(package, override=town / package / "locale")
    assert texts.gettext("../../secret", "Kind regards") == "Kind regards"


def test_a_town_directory_without_the_packages_folder_leaves_the_packages_texts(
    package: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="downtown_events.runtime.texts"):
        texts = Texts(package, override=tmp_path / "empty")
    assert texts.override is None and "own wording is used" in caplog.text
    assert texts.mail("mail/hello.txt", "de", name="A").subject == "Guten Tag A,"


@pytest.mark.parametrize(
    ("text", "tidied"),
    [
        ("\n\nHello,\n\n\n\nfirst\n   \n\nsecond\nline\n\n", "Hello,\n\nfirst\n\nsecond\nline\n"),
        ("a\n\n-- \nsignature", "a\n\n-- \nsignature\n"),  # the delimiter's space is kept
        ("  \n\n", ""),
    ],
)
def test_paragraphs_leave_one_blank_line_between_paragraphs(text: str, tidied: str) -> None:
    assert paragraphs(text) == tidied
