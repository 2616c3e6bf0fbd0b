# SPDX-License-Identifier: Apache-2.0
"""Texts people read: Jinja2 templates and gettext catalogues (Babel), once for every service.

A service keeps its wording beside its code, in its package: templates under
``<package>/templates/`` (``mail/order_placed_customer.txt``; the web front's ``.html`` pages
later) and catalogues at ``<package>/locale/<language>/LC_MESSAGES/messages.po``. Templates
are written in English: a message id *is* the English text, so English needs no catalogue,
German is ``de/…/messages.po``, and a third language is one more ``.po`` file.

:class:`Texts` gives one Jinja2 environment per language with

- autoescape off for ``.txt`` (plain-text mail: an ``&`` in a shop's name stays an ``&``) and
  on for ``.html``/``.xml`` (the web front's pages);
- the ``i18n`` extension bound to the language's catalogue, new-style: ``{{ _("Hello
  %(name)s,", name=customer) }}`` (every message is a ``%`` format: a literal ``%`` is ``%%``),
  ``ngettext`` for plurals;
- filters: ``money`` (cents as :func:`downtown_events.money.format_money` writes them),
  ``date``, ``datetime``, ``time`` (Babel's CLDR patterns, e.g. ``"EEE d MMM yyyy"``; moments
  in the town's time zone), ``local`` (a moment in the town's zone, to compare days) and
  ``paragraphs`` (see :func:`paragraphs`);
- ``StrictUndefined``: a template naming a value it is not given fails instead of printing
  nothing.

**A town's own wording without a code change.** ``DOWNTOWN_TEXTS_DIR`` (the services'
``texts_dir`` setting) names a directory laid out like the packages:
``<dir>/<package>/templates/…`` replaces a template of the same name, and
``<dir>/<package>/locale/<language>/LC_MESSAGES/messages.po`` adds to or replaces the
package's translations (the town's entries win, the package's fill the rest; a language only
the town has is simply its file). A town template that fails to render (a value misspelt)
is logged and the package's own is used, so a typo never costs a customer their mail.

**Catalogues are compiled when loaded, in memory** (Babel's ``read_po``, ``write_mo`` into a
buffer, ``Translations``), never kept as binary ``.mo`` files: the ``.po`` files in git are
the only source, reviewed as text; a checkout, a wheel and a town's override directory all
work without a build step that could be forgotten or run against a stale file; and a town
edits the same format the project does. It costs milliseconds per language, once per
process (the environments are cached). As ``msgfmt`` does, fuzzy and empty translations are
left out, so such a message shows its English text until someone translates it.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from importlib import resources
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import babel.dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)

from downtown_events.money import Language, format_money

log = logging.getLogger(__name__)

DOMAIN = "messages"
"""The gettext domain: one catalogue per service and language."""
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,8})?$")
"""A language as a catalogue's directory is named (``de``, ``pt_BR``): never a path."""


def paragraphs(text: str) -> str:
    """Plain text tidied as a letter: lines that hold only white space are blank, runs of
    blank lines become one, none lead or trail, and the text ends with one line end.

    A mail template can so give each optional paragraph its own lines and leave it empty
    without leaving a hole. Spaces at the end of a line are kept (a signature's ``-- ``).
    """
    kept: list[str] = []
    gap = False
    for line in text.split("\n"):
        if not line.strip():
            gap = bool(kept)
            continue
        if gap:
            kept.append("")
        kept.append(line)
        gap = False
    return "\n".join(kept) + "\n" if kept else ""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body: str


def catalogue(po: bytes, language: str) -> Translations:
    """A ``.po`` file's translations, compiled in memory."""
    parsed = read_po(io.BytesIO(po), locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, parsed, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


class Texts:
    """One service's texts: its package's templates and catalogues, with a town's over them.

    ``package`` is the service's import name (``"ordering"``); ``override`` the town's texts
    directory (``DOWNTOWN_TEXTS_DIR``, the ``texts_dir`` setting), whose ``<package>/``
    subdirectory is read; ``zone`` the town's time zone, in which moments are written.
    """

    def __init__(self, package: str, *, override: Path | None = None, zone: str | tzinfo = "UTC") -> None:
        self.package = package
        self.zone = ZoneInfo(zone) if isinstance(zone, str) else zone
        own = override / package if override is not None else None
        self.override = own if own is not None and own.is_dir() else None
        if override is not None and self.override is None:
            log.warning("texts: %s has no %s/ directory; %s's own wording is used", override, package, package)
        self._environments: dict[str, Environment] = {}
        self._translations: dict[str, NullTranslations] = {}
        self._lock = threading.Lock()
        self._fallback: Texts | None = None

    # --- what a service calls -----------------------------------------------------------------

    def render(self, name: str, language: str, /, **data: object) -> str:
        """Template ``name`` rendered in ``language`` with ``data``."""
        try:
            return self.environment(language).get_template(name).render(**data)
        except TemplateError:
            if self.override is None:
                raise
            log.exception("texts: the town's %s (%s) failed to render; %s's own is used", name, language, self.package)
            return self._package_only().render(name, language, **data)

    def mail(self, name: str, language: str, /, **data: object) -> RenderedMail:
        """A mail template rendered: its first line is ``Subject: …``, a blank line, the body."""
        rendered = self.render(name, language, **data)
        head, _, body = rendered.partition("\n\n")
        if not head.startswith("Subject: ") or "\n" in head:
            raise ValueError(f"mail template {name} must begin with one 'Subject: …' line and a blank line")
        return RenderedMail(subject=head.removeprefix("Subject: "), body=body)

    def gettext(self, language: str, message: str) -> str:
        """``message`` (its English text) in ``language``, for text a template does not hold."""
        return str(self.translations(language).gettext(message))

    # --- the machinery ----------------------------------------------------------------------

    def environment(self, language: str) -> Environment:
        """The Jinja2 environment for ``language`` (made once, then shared)."""
        if language not in self._environments:
            made = self._make_environment(language)
            with self._lock:
                self._environments.setdefault(language, made)
        return self._environments[language]

    def translations(self, language: str) -> NullTranslations:
        """The package's catalogue for ``language`` with the town's over it (no catalogue:
        the English message ids themselves). Read once, then shared."""
        with self._lock:
            if language not in self._translations:
                self._translations[language] = self._read_translations(language)
            return self._translations[language]

    def _read_translations(self, language: str) -> NullTranslations:
        if not _LANGUAGE.match(language):  # a language is a name, never a path
            return NullTranslations()
        po = f"locale/{language}/LC_MESSAGES/{DOMAIN}.po"
        packaged = resources.files(self.package).joinpath(po)
        own = catalogue(packaged.read_bytes(), language) if packaged.is_file() else None
        town_file = self.override / po if self.override is not None else None
        if town_file is None or not town_file.is_file():
            return own if own is not None else NullTranslations()
        town = catalogue(town_file.read_bytes(), language)
        if own is not None:
            town.add_fallback(own)
        return town

    def _make_environment(self, language: str) -> Environment:
        loaders: list[BaseLoader] = []
        if self.override is not None and (self.override / "templates").is_dir():
            loaders.append(FileSystemLoader(self.override / "templates"))
        loaders.append(PackageLoader(self.package, "templates"))
        environment = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml"), default_for_string=False),
            extensions=["jinja2.ext.i18n"],
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        environment.install_gettext_translations(self.translations(language), newstyle=True)  # type: ignore[attr-defined]
        environment.filters.update(self._filters(language))
        return environment

    def _filters(self, language: str) -> dict[str, object]:
        zone = self.zone

        def money(cents: int) -> str:
            # Babel writes any CLDR language; Language names the two Downtown offers so far.
            return format_money(cents, cast(Language, language))

        def format_date(day: date | datetime, pattern: str = "medium") -> str:
            if isinstance(day, datetime):
                day = day.astimezone(zone).date()
            return babel.dates.format_date(day, pattern, locale=language)

        def format_datetime(moment: datetime, pattern: str = "medium") -> str:
            return babel.dates.format_datetime(moment, pattern, tzinfo=zone, locale=language)

        def format_time(moment: datetime | time, pattern: str = "short") -> str:
            return babel.dates.format_time(moment, pattern, tzinfo=zone, locale=language)

        def local(moment: datetime) -> datetime:
            return moment.astimezone(zone)

        return {
            "money": money,
            "date": format_date,
            "datetime": format_datetime,
            "time": format_time,
            "local": local,
            "paragraphs": paragraphs,
        }

    def _package_only(self) -> Texts:
        if self._fallback is None:
            self._fallback = Texts(self.package, zone=self.zone)
        return self._fallback
