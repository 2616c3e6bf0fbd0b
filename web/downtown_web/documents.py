# SPDX-License-Identifier: AGPL-3.0-or-later
"""A service's document (an invoice's PDF, a settlement statement's PDF or CSV) handed on
through the front.

The browser never holds a merchant's or the association's token: it asks the front, the front
asks the service with the token from the visitor's cookie and hands the bytes on. Whose
document it is, the service decides: its refusal (401, 403, 404) becomes the front's page in
the visitor's language, never the service's JSON saved as a ``.pdf``. A document is read whole
before it is answered (an invoice or a month's statement is tens of kilobytes), so that a
refusal or an answer of the wrong kind is a page rather than a download cut off halfway.
"""

from __future__ import annotations

import re

import httpx
from fastapi import Response

from downtown_web.services import ServiceProblem

PDF = "application/pdf"
CSV = "text/csv"
_DISPOSITION = re.compile(r'^\s*(inline|attachment)\s*;\s*filename="?([A-Za-z0-9._-]{1,120})"?\s*$', re.I)
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,120}$")


def disposition(sent: str | None, fallback: str) -> str:
    """The ``Content-Disposition`` to answer: the service's when it is a plain ASCII file name
    (it names the file in the reader's words, ``abrechnung-…``), else ``fallback`` as an
    attachment. Nothing else of the service's header reaches the browser."""
    match = _DISPOSITION.match(sent or "")
    if match:
        return f'{match.group(1).lower()}; filename="{match.group(2)}"'
    if not _NAME.match(fallback):
        raise ValueError(f"not a plain file name: {fallback!r}")
    return f'attachment; filename="{fallback}"'


def handed_on(answer: httpx.Response, media_type: str, fallback_name: str) -> Response:
    """The service's document as the front's answer, or its refusal as a
    :class:`ServiceProblem` for the refusal page. An answer of another type than asked for
    (a proxy's error page, say) is a 502: the browser gets no HTML named ``.pdf``."""
    if answer.status_code != 200:
        raise ServiceProblem.of(answer)
    sent = answer.headers.get("content-type", "")
    if sent.split(";", 1)[0].strip().lower() != media_type:
        raise ServiceProblem(502, "Bad Gateway", f"expected {media_type}, the service sent {sent!r}")
    headers = {
        "Content-Disposition": disposition(answer.headers.get("content-disposition"), fallback_name),
        "Cache-Control": "no-store",  # a shop's money: not kept by a shared device's cache
    }
    return Response(answer.content, media_type=sent, headers=headers)
