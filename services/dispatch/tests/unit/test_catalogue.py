# SPDX-License-Identifier: AGPL-3.0-or-later
"""Dispatch's wording: every message it writes (a courier's sign-in mail) has its German, and
the catalogue and the mail templates travel in the wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import dispatch

PACKAGE = Path(dispatch.__file__).parent
SERVICE = PACKAGE.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}  # as `make translations` extracts


def extracted() -> set[str]:
    with (SERVICE / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(str(PACKAGE), method_map, options_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def test_every_message_is_in_the_german_catalogue_translated() -> None:
    """A sentence added without its German fails here: run ``make translations``, translate."""
    with (PACKAGE / "locale" / "de" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        parsed = read_po(po, locale="de")
    assert not parsed.obsolete
    translated = {
        entry.id if isinstance(entry.id, str) else entry.id[0]  # a plural by its singular, as extracted
        for entry in parsed
        if entry.id and not entry.fuzzy and all(entry.string if isinstance(entry.string, tuple) else [entry.string])
    }
    messages = extracted()
    assert "Hello %(name)s," in messages and translated == messages


def test_the_catalogue_is_package_data_of_the_wheel() -> None:
    globs = tomllib.loads((SERVICE / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["dispatch"]
    shipped = {path for pattern in globs for path in PACKAGE.glob(pattern)}
    catalogues = {path for path in (PACKAGE / "locale").rglob("*") if path.is_file()}
    templates = set((PACKAGE / "templates").rglob("*.txt"))
    assert catalogues and catalogues <= shipped and templates and templates <= shipped
