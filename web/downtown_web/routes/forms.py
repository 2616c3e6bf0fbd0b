# SPDX-License-Identifier: AGPL-3.0-or-later
"""The check every posted form passes first: it carries the visitor's own form token."""

from __future__ import annotations

from fastapi import Request

from downtown_web.visitor import csrf_ok


class FormRefused(Exception):
    """A form posted without the visitor's own token (another site's form, or a stale page)."""


def checked(request: Request, csrf: str | None) -> None:
    if not csrf_ok(request, csrf):
        raise FormRefused
