# SPDX-License-Identifier: AGPL-3.0-or-later
"""Why a command was refused, in words a merchant can act on.

The refusals every service shares are the kit's (:mod:`downtown_events.refusals`),
re-exported here; this module adds the catalog's own.
"""

from downtown_events.refusals import AlreadyExists, DomainError, InvalidChange, NotAllowed, NotFound  # noqa: F401 - re-exported


class TokenRevoked(DomainError):
    """The token was issued before the merchant's tokens were revoked (HTTP 401)."""
