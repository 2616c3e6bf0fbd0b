# SPDX-License-Identifier: Apache-2.0
"""The refusals every service's domain shares: a reason to act on, and a contract's own
validation turned into one of them rather than escaping the domain as pydantic's error."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from downtown_events.refusals import (
    AlreadyExists,
    DomainError,
    InvalidChange,
    NotAllowed,
    NotFound,
    NotYetKnown,
    checked,
)


class Listed(BaseModel):
    title: str = Field(max_length=5)
    quantity: int = Field(ge=1)


@pytest.mark.parametrize("refusal", [NotFound, NotAllowed, InvalidChange, AlreadyExists, NotYetKnown])
def test_every_refusal_is_a_domain_error_with_its_reason(refusal: type[DomainError]) -> None:
    error = refusal("the programme is closed")
    assert isinstance(error, DomainError)
    assert error.reason == str(error) == "the programme is closed"


def test_checked_builds_the_model_when_the_contract_takes_it() -> None:
    assert checked(Listed, title="Käse", quantity=2) == Listed(title="Käse", quantity=2)


def test_checked_names_each_field_the_contract_refused() -> None:
    with pytest.raises(InvalidChange) as refused:
        checked(Listed, title="Bergkäse", quantity=0)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
    assert refused.value.reason.startswith("title: String should have at most 5 characters; quantity: ")


def test_checked_calls_a_refusal_of_the_whole_model_value() -> None:
    class Whole(BaseModel):
        title: str

        def model_post_init(self, _: object) -> None:
            if self.title == "x":
                raise ValueError("no")

    with pytest.raises(InvalidChange, match=r"^value: Value error, no$"):
        checked(Whole, title="x")
