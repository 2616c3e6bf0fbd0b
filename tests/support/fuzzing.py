# SPDX-License-Identifier: AGPL-3.0-or-later
"""Property-based fuzzing of a running service's HTTP API from its own OpenAPI document.

Schemathesis generates requests from the document, valid and invalid ones, and checks
every answer: never a 5xx, only documented statuses, documented content types and
headers, bodies that match their schema, a 401 without a token, a 405 with ``Allow``.
A service's fuzz test parametrises over :func:`operations` (taken from its app's document,
so each operation is its own test) and calls :func:`fuzz_operation` against a running
instance. Runs are bounded and derandomised, so CI sees the same inputs every time;
``DOWNTOWN_FUZZ_EXAMPLES`` raises the count per operation for a deeper local run.

A random id is answered 404 before any interesting code runs, so a target may name real
values (``FuzzTarget.known``): half of the generated cases then carry one of them wherever a
path, query or body field of that name is, and reach the code behind the look-up.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

EXAMPLES = int(os.environ.get("DOWNTOWN_FUZZ_EXAMPLES", "25"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
    unsupported_method,
]
"""Left out: ``positive_data_acceptance`` (a schema-valid price such as "zwölf" is still
refused with a reason, and a random id is rightly a 404) and the stateful checks that need
links between operations, which the documents do not declare."""


@dataclass(frozen=True)
class FuzzTarget:
    """A running API, and the credentials each of its operations should be called with."""

    base_url: str
    credentials: Callable[[schemathesis.APIOperation], dict[str, str]]
    known: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    """Real values by parameter or field name (``programme_id``: ids that exist)."""


def operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in an OpenAPI document, for ``pytest.mark.parametrize``."""
    return [(method.upper(), path) for path, ops in document["paths"].items() for method in ops]


def fuzz_operation(target: FuzzTarget, method: str, path: str) -> None:
    """Generate cases for one operation of the running API's document and check each answer."""
    schema = schemathesis.openapi.from_url(f"{target.base_url}/openapi.json")
    operation = schema[path][method]
    headers = target.credentials(operation)
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))
    if target.known:
        drawn = st.tuples(cases, st.booleans(), st.integers(min_value=0, max_value=1023))
        cases = drawn.map(lambda draw: _with_known(draw[0], target.known, draw[2]) if draw[1] else draw[0])

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=target.base_url, headers=headers, checks=CHECKS, timeout=30)

    check()


def _with_known(case: schemathesis.Case, known: Mapping[str, Sequence[Any]], pick: int) -> schemathesis.Case:
    """The case with a real value wherever a parameter or body field is named like one."""
    for parameters in (case.path_parameters, case.query):
        for name in list(parameters or {}):
            if name in known:
                parameters[name] = known[name][pick % len(known[name])]
    _replace_fields(case.body, known, pick)
    return case


def _replace_fields(value: Any, known: Mapping[str, Sequence[Any]], pick: int) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            if name in known:
                value[name] = known[name][pick % len(known[name])]
            else:
                _replace_fields(inner, known, pick)
    elif isinstance(value, list):
        for inner in value:
            _replace_fields(inner, known, pick)
