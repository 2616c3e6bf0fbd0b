# SPDX-License-Identifier: AGPL-3.0-or-later
"""A service's wording, checked alike in every service: every message its code writes has its
German in the service's catalogue, and the catalogue and the mail templates travel in its
wheel (a sentence added without its German, or a file left out of ``package-data``, fails)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import ModuleType

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}  # as `make translations` extracts


def _package(service: ModuleType) -> Path:
    return Path(str(service.__file__)).parent


def _extracted(package: Path) -> set[str]:
    with (package.parent / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(package), method_map, options_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def assert_every_message_translated(service: ModuleType, *, one_of_them: str) -> None:
    """Every message extracted from ``service`` is in its German catalogue, translated, and
    nothing more; ``one_of_them`` (a message known to be there) shows the extraction found any."""
    package = _package(service)
    with (package / "locale" / "de" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        parsed = read_po(po, locale="de")
    assert not parsed.obsolete
    translated = {
        entry.id if isinstance(entry.id, str) else entry.id[0]  # a plural by its singular, as extracted
        for entry in parsed
        if entry.id and not entry.fuzzy and all(entry.string if isinstance(entry.string, tuple) else [entry.string])
    }
    messages = _extracted(package)
    assert one_of_them in messages and translated == messages


def assert_catalogue_in_the_wheel(service: ModuleType) -> None:
    """The catalogues and the mail templates are package data of ``service``'s wheel."""
    package = _package(service)
    pyproject = tomllib.loads((package.parent / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"][service.__name__]
    shipped = {path for pattern in globs for path in package.glob(pattern)}
    catalogues = {path for path in (package / "locale").rglob("*") if path.is_file()}
    templates = set((package / "templates").rglob("*.txt"))
    assert catalogues and catalogues <= shipped and templates and templates <= shipped
