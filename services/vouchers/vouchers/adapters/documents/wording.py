# SPDX-License-Identifier: AGPL-3.0-or-later
"""The words, amounts and dates of a document, in its reader's language.

A document's labels are messages of the vouchers' gettext catalogue
(``vouchers/locale/<language>/LC_MESSAGES/messages.po``, English message ids, with the town's
``DOWNTOWN_TEXTS_DIR`` over it), the same catalogue the buyer's mails are translated with
(:mod:`downtown_events.runtime.texts`). Each is written here as ``wording.gettext("…")`` so
that ``make translations`` extracts it. Amounts for a person are
:func:`~downtown_events.money.format_money`'s in the language; dates follow a CLDR pattern
that is itself a message (German ``dd.MM.yyyy``, English ISO ``yyyy-MM-dd``, which every
English reader reads the same way and which fits the columns the German dates fit).

A CSV's numbers follow the language's spreadsheets: a decimal comma and ``;`` between cells
(German), or a decimal point and ``,`` (English), as a spreadsheet set to that language
splits and adds them up without an import dialog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import cast, get_args

import babel.dates
import babel.numbers
from babel.support import NullTranslations

from downtown_events.money import Language, format_money
from downtown_events.runtime.texts import Texts

log = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = get_args(Language)
"""The languages a document is written in (English: the message ids; German: the catalogue)."""
DEFAULT_LANGUAGE = "de"
_PACKAGE = "vouchers"


@dataclass(frozen=True)
class Wording:
    """A document's texts in one language; build it with :meth:`of`."""

    language: str
    translations: NullTranslations

    @classmethod
    def of(cls, language: str = DEFAULT_LANGUAGE, texts: Texts | None = None) -> Wording:
        """``language``'s wording from ``texts`` (the town's over the package's; without
        them the package's own). A language no catalogue has reads the English ids."""
        return cls(language, (texts or _package_texts()).translations(language))

    def gettext(self, message: str, /, **values: object) -> str:
        """``message`` in the language, its ``%(name)s`` filled with ``values`` (every message
        is a ``%`` format, as the mail templates' are: a literal ``%`` is ``%%``). A
        translation that cannot be filled (a town's misspelt ``%(name)s``) is logged and the
        English used: a typo never costs a merchant its statement."""
        translated = str(self.translations.gettext(message))
        try:
            return translated % values
        except (KeyError, ValueError, TypeError):
            log.exception(
                "documents: the %s translation of %r cannot be filled; English is used", self.language, message
            )
            return message % values

    def ngettext(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The form of ``count`` (its ``%(count)s`` filled in, and ``values``)."""
        return str(self.translations.ngettext(singular, plural, count)) % {"count": count, **values}

    def money(self, cents: int) -> str:
        # Babel writes any CLDR language; Language names the two the documents are written in.
        return format_money(cents, cast(Language, self._locale))

    def day(self, day: date) -> str:
        # Translators: how a document writes a day (a CLDR pattern: dd day, MM month, yyyy year)
        return self._pattern(day, self.gettext("yyyy-MM-dd"))

    def moment(self, moment: datetime) -> str:
        """A wall-clock moment, as given (pass the town's local time), to the minute."""
        # Translators: how a document writes a day and a time (CLDR: HH hour, mm minute)
        return self._pattern(moment, self.gettext("yyyy-MM-dd HH:mm"))

    def csv_moment(self, moment: datetime) -> str:
        """A moment in a CSV cell, to the second, as the language's spreadsheets read one."""
        # Translators: how a spreadsheet file writes a day and a time (CLDR: ss second)
        return self._pattern(moment, self.gettext("yyyy-MM-dd HH:mm:ss"))

    @property
    def decimal_symbol(self) -> str:
        return str(babel.numbers.get_decimal_symbol(self._locale))

    @property
    def csv_delimiter(self) -> str:
        """``;`` where the comma is the decimal symbol (as Excel chooses its list separator)."""
        return ";" if self.decimal_symbol == "," else ","

    @property
    def tag(self) -> str:
        """The document's language as a PDF names it (``de-DE``, as before languages; ``en``)."""
        return "de-DE" if self.language == "de" else self.language.replace("_", "-")

    @property
    def _locale(self) -> str:
        return self.language if self.language.replace("_", "").isalpha() else DEFAULT_LANGUAGE

    def _pattern(self, value: date | datetime, pattern: str) -> str:
        if isinstance(value, datetime):
            # No tzinfo given: Babel writes an aware moment in its own zone, a naive one as is.
            return str(babel.dates.format_datetime(value, pattern, locale=self._locale))
        return str(babel.dates.format_date(value, pattern, locale=self._locale))


@cache
def _package_texts() -> Texts:
    """The package's own texts (no town's), made once: for callers that pass none."""
    return Texts(_PACKAGE)
