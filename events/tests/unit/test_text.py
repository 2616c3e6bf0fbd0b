# SPDX-License-Identifier: Apache-2.0
"""Text from clients: trimmed, normalised, and free of what breaks storage or readers."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field, ValidationError

from downtown_events.text import MultiLine, SingleLine


class Form(BaseModel):
    title: SingleLine = Field(min_length=1, max_length=20)
    description: MultiLine = ""


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Wein\x00", "NUL character"),
        ("Wein\x04", "control character U+0004"),
        ("Wein\x1e", "control character U+001E"),
        ("Wein\nBrot", "control character U+000A"),
        ("gpj\u202eexe", "direction control U+202E"),
        ("a\u2066b", "direction control U+2066"),
        ("a\ud800b", "unicode"),  # pydantic refuses a lone surrogate before we look
        ("a\ufffeb", "noncharacter"),
    ],
)
def test_a_single_line_refuses_what_breaks_storage_or_readers(value: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(reason)):
        Form(title=value)


def test_a_title_of_blanks_is_too_short_and_blanks_around_are_trimmed() -> None:
    with pytest.raises(ValidationError, match="at least 1 character"):
        Form(title="   \t ")
    assert Form(title="  Käse  ").title == "Käse"


def test_text_is_stored_in_one_unicode_form() -> None:
    decomposed = "Ka\u0308se"  # "Käse" typed with a combining diaeresis
    assert Form(title=decomposed).title == "Käse"


def test_a_description_keeps_its_lines_and_refuses_other_controls() -> None:
    assert Form(title="x", description="Zeile 1\r\nZeile 2\tTab").description == "Zeile 1\nZeile 2\tTab"
    with pytest.raises(ValidationError, match="NUL"):
        Form(title="x", description="a\x00b")


def test_letters_of_every_script_and_emoji_are_welcome() -> None:
    title = "مرحبا 😀‍👩 Ωμέγα"
    assert Form(title=title).title == title


def test_event_text_promises_no_controls_and_reads_old_events_without_them() -> None:
    """What the API accepts is what the published schema promises; older events that still
    carry a control character (an e-mail with \\x04) read without it."""
    from downtown_events.catalog import Address, MerchantProfile

    profile = MerchantProfile.model_validate(
        {
            "name": "Laden\x1e",
            "category": "Wein",
            "address": {"street": "Markt 1", "postal_code": "48624", "city": "Schöppingen"},
            "phone": "0255 1",
            "email": "info\x04@laden.de",
        }
    )
    assert (profile.name, profile.email) == ("Laden", "info@laden.de")
    schema = MerchantProfile.model_json_schema()
    assert schema["properties"]["name"]["pattern"] == "^[^\\u0000-\\u001f\\u007f]*$"
    assert "\\u0000-\\u001f" in schema["properties"]["email"]["pattern"]
    assert Address.model_json_schema()["properties"]["city"]["pattern"].startswith("^[^\\u0000")
