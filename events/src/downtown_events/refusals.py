# SPDX-License-Identifier: Apache-2.0
"""Why a command was refused: the refusals every service's domain raises, written once.

A service's ``domain/errors.py`` re-exports these and adds its own, each a subclass of one
of them (``OutOfStock`` is an :class:`InvalidChange`), so that the kit can answer every
service's refusals alike: :data:`downtown_events.runtime.http.problems.DOMAIN_PROBLEMS`
gives each class here one status, and a subclass keeps its base's unless the service
gives it its own. Raising any of them means nothing was written: a handler decides before
it appends.

Pure (the standard library and pydantic), like the contracts: a service's ``domain/``,
which may not import :mod:`downtown_events.runtime`, imports this (``.importlinter``).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class DomainError(Exception):
    """A rule refused the command; nothing was written. ``reason`` says why, in words the
    caller (a customer, a merchant, the association) can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFound(DomainError):
    """It does not exist, or is not the caller's to see (the two read alike, so that
    asking tells nobody what others have)."""


class NotAllowed(DomainError):
    """The caller may not do this (another merchant's data, a suspended merchant)."""


class InvalidChange(DomainError):
    """The command contradicts the rules or the current state (a withdrawn offer, a
    quantity of 0, a closed programme)."""


class AlreadyExists(DomainError):
    """The aggregate was created before (with the same idempotency key, or id)."""


class NotYetKnown(DomainError):
    """The service has not heard of it yet: a merchant registered a moment ago whose event
    has not reached this service's replica. Asking again shortly will do."""


def checked(model: type[M], **fields: Any) -> M:
    """The event, or an :class:`InvalidChange` naming what the contract refused (a title too
    long, an e-mail address that is none), rather than pydantic's error escaping the domain."""
    try:
        return model(**fields)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc']) or 'value'}: {detail['msg']}" for detail in error.errors()
        )
        raise InvalidChange(problems) from None
