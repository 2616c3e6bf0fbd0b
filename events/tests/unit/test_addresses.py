# SPDX-License-Identifier: Apache-2.0
"""One mailbox, one key: every spelling an attacker used to pass a per-buyer cap twice."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from downtown_events.runtime.addresses import canonical_email

ANNA = canonical_email("anna@example.de")


@pytest.mark.parametrize(
    "spelling",
    [
        "Anna@Example.DE",
        "  anna@example.de ",
        "anna+vouchers@example.de",
        "a.n.n.a@example.de",
        "\u0430nna@example.de",  # Cyrillic а
        "\uff41\uff4e\uff4e\uff41@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.\uff44\uff45",  # fullwidth
        '"anna"@example.de',
        "anna@example.de.",
        "anna@\u0435xample.de",  # Cyrillic е in the domain
    ],
)
def test_the_spellings_of_one_mailbox_are_one_key(spelling: str) -> None:
    assert canonical_email(spelling) == ANNA


def test_a_unicode_domain_and_its_idna_form_are_one_key() -> None:
    assert canonical_email("anna@bücher.example") == canonical_email("anna@xn--bcher-kva.example")
    assert canonical_email("anna@BÜCHER.example.") == "anna@xn--bcher-kva.example"


def test_other_mailboxes_stay_apart() -> None:
    assert canonical_email("anne@example.de") != ANNA
    assert canonical_email("anna@example.com") != ANNA
    assert canonical_email("anna@mail.example.de") != ANNA


def test_a_text_without_an_at_sign_still_makes_a_key() -> None:
    assert canonical_email(" Anna ") == "anna"


def test_a_broken_a_label_is_kept_rather_than_refused() -> None:
    assert canonical_email("anna@xn--zz.example") == "anna@xn--zz.example"


@given(st.text(max_size=80))
def test_any_text_makes_a_key_that_is_already_canonical(text: str) -> None:
    key = canonical_email(text)
    assert canonical_email(key) == key
