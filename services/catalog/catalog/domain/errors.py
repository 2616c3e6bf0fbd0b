# SPDX-License-Identifier: AGPL-3.0-or-later
"""Why a command was refused, in words a merchant can act on."""


class DomainError(Exception):
    """A rule of the catalog refused the command; nothing was written."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFound(DomainError):
    """The merchant or offer does not exist (or is not the caller's to see)."""


class NotAllowed(DomainError):
    """The caller may not do this (another merchant's data, or a suspended merchant)."""


class InvalidChange(DomainError):
    """The change contradicts the current state (withdrawn offer, negative stock...)."""


class AlreadyExists(DomainError):
    """The aggregate was created before (with the same idempotency key, or id)."""


class TokenRevoked(DomainError):
    """The token was issued before the merchant's tokens were revoked (HTTP 401)."""
