# SPDX-License-Identifier: AGPL-3.0-or-later
"""Why a command was refused: the kit's shared refusals, and (below them) the service's own,
each a subclass of one of them so that the kit's problem rules answer it."""

from __future__ import annotations

from downtown_events.refusals import (
    AlreadyExists,
    DomainError,
    InvalidChange,
    NotAllowed,
    NotFound,
    NotYetKnown,
    checked,
)

__all__ = ["AlreadyExists", "DomainError", "InvalidChange", "NotAllowed", "NotFound", "NotYetKnown", "checked"]
