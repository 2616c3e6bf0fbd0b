# SPDX-License-Identifier: AGPL-3.0-or-later
"""What a person reads in the catalog's answers, in their language.

The reader's language comes from the ``lang`` query parameter (a link can carry it), else the
``Accept-Language`` header (a browser's, or the web front's on its reader's behalf), else
German, the town's first language. The catalogue is the catalog's own
(``catalog/locale/<language>/LC_MESSAGES/messages.po``, English message ids, with the town's
``DOWNTOWN_TEXTS_DIR`` over it: :mod:`downtown_events.runtime.texts`); weekday names are
CLDR's, through Babel, so every language Babel knows names them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Query

from catalog.api.deps import Container
from catalog.api.weekdays import named_windows, weekday_name
from downtown_events.runtime.http.languages import preferred_language
from downtown_events.runtime.texts import Texts

LANGUAGES = ("de", "en")
"""The languages the catalog writes (English: the message ids; German: its catalogue)."""
DEFAULT_LANGUAGE = "de"


@cache
def catalog_texts(texts_dir: Path | None, zone: str) -> Texts:
    """The catalog's texts with the town's over them, read once per process."""
    return Texts("catalog", override=texts_dir, zone=zone)


@dataclass(frozen=True)
class Reader:
    """Whoever reads an answer: their language and the catalog's messages in it."""

    language: str
    gettext: Callable[[str], str]

    def weekday_name(self, weekday: int) -> str:
        """0 = Monday … 6 = Sunday, as the reader's language names the day ("Montag")."""
        return weekday_name(weekday, self.language)

    def opening_hours(self, windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Opening windows as the directory stores them, each with its weekday's name."""
        return named_windows(windows, self.language)


async def get_reader(
    container: Container,
    lang: Annotated[
        Literal["de", "en"] | None,
        Query(description="the reader's language; without it, Accept-Language decides (default: de)"),
    ] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Reader:
    language = lang or preferred_language(accept_language, LANGUAGES, DEFAULT_LANGUAGE)
    settings = container.settings
    texts = catalog_texts(settings.texts_dir, settings.timezone)
    return Reader(language, partial(texts.gettext, language))


ReaderOf = Annotated[Reader, Depends(get_reader)]
