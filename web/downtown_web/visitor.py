# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the front remembers of a visitor, in cookies only: their language, their basket, and
the token that guards their forms.

- ``lang``: ``de`` or ``en``, set by the language links; else ``Accept-Language`` decides.
- ``basket``: a guest basket's id and access token as ordering gave them (``id.token``),
  HttpOnly: no script of a page can read it.
- ``placed``: the thank-you page of the visitor's last checkout and the form's key
  (``key|order.order|token``), HttpOnly, sent to ``/checkout`` only, for a day: the same form sent
  again once the basket is gone (back, then send) lands on that page, not an empty basket.
- ``customer``: a signed-in customer's token as ordering issued it (from an e-mailed link),
  HttpOnly; signing out asks ordering to refuse it from then on.
- ``merchant``: a signed-in merchant's token as the catalog issued it (from an e-mailed
  link), HttpOnly, sent to the merchant's pages (``/merchant…``) only; they act with it at
  the catalog and ordering.
- ``courier``: a signed-in courier's token as dispatch issued it (from an e-mailed link),
  HttpOnly, sent to the courier's pages (``/courier…``) only; they act with it at dispatch.
- ``association``: the town's association token (from its secrets), typed into its sign-in
  page and checked against a service, HttpOnly, sent to the association's pages
  (``/association…``) only, for a working day.
- ``csrf``: a random token each form carries back in a hidden field (double submit). A
  form posted from another site has the cookie but cannot know its value, so the post is
  refused; the cookies are ``SameSite=Lax`` besides.

Every cookie is ``Secure`` when the front is reached over https (its public URL).
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from uuid import UUID

from fastapi import Request, Response

from downtown_events.runtime.http.languages import preferred_language

LANGUAGES = ("de", "en")
"""German first (the towns are German), English second."""
_BASKET = re.compile(r"^([0-9a-f-]{36})\.([A-Za-z0-9_\-]{16,200})$")
_CSRF = re.compile(r"^[A-Za-z0-9_\-]{32,64}$")
YEAR = 365 * 24 * 3600
MERCHANT_PAGES = "/merchant"
COURIER_PAGES = "/courier"
ASSOCIATION_PAGES = "/association"
ASSOCIATION_DAY = 10 * 3600


@dataclass(frozen=True)
class GuestBasket:
    basket_id: UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Basket-Token": self.token}


def language_of(request: Request) -> str:
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return preferred_language(request.headers.get("accept-language"), LANGUAGES, LANGUAGES[0])


def basket_of(request: Request) -> GuestBasket | None:
    match = _BASKET.match(request.cookies.get("basket", ""))
    if match is None:
        return None
    try:
        return GuestBasket(UUID(match.group(1)), match.group(2))
    except ValueError:
        return None


def keep_basket(response: Response, basket: GuestBasket, *, secure: bool) -> None:
    value = f"{basket.basket_id}.{basket.token}"
    response.set_cookie("basket", value, max_age=30 * 24 * 3600, httponly=True, secure=secure, samesite="lax")


def forget_basket(response: Response) -> None:
    response.delete_cookie("basket")


_PLACED = re.compile(r"^([A-Za-z0-9_\-]{8,100})\|([0-9a-f.\-]{36,1900})\|([A-Za-z0-9_.\-]{16,2000})$")
CHECKOUT_PAGES = "/checkout"


def keep_placed(response: Response, key: str, orders: str, token: str, *, secure: bool) -> None:
    """Remember where the checkout under ``key`` landed (see ``placed`` above)."""
    response.set_cookie(
        "placed",
        f"{key}|{orders.replace(',', '.')}|{token}",  # a comma would have the value quoted
        max_age=24 * 3600,
        path=CHECKOUT_PAGES,
        httponly=True,
        secure=secure,
        samesite="lax",
    )


def placed_of(request: Request, key: str) -> tuple[str, str] | None:
    """The orders and link token of the checkout placed under ``key``, if this visitor placed it."""
    match = _PLACED.match(request.cookies.get("placed", ""))
    if match is None or not hmac.compare_digest(match.group(1), key):
        return None
    return match.group(2).replace(".", ","), match.group(3)


_BEARER = re.compile(r"^[A-Za-z0-9_\-.]{20,4000}$")


@dataclass(frozen=True)
class Bearer:
    """A signed-in visitor's token as a service issued it, kept in an HttpOnly cookie sent to
    ``path`` only (the storefront's pages never need a merchant's or courier's)."""

    cookie: str
    path: str = "/"
    seconds: int | None = None
    """A fixed lifetime; else the one the service gave with the token."""

    def of(self, request: Request) -> dict[str, str] | None:
        """The visitor's ``Authorization`` header for the services, or None."""
        token = request.cookies.get(self.cookie, "")
        return {"Authorization": f"Bearer {token}"} if _BEARER.match(token) else None

    def keep(self, response: Response, token: str, seconds: int | None = None, *, secure: bool) -> None:
        response.set_cookie(
            self.cookie,
            token,
            max_age=seconds if seconds is not None else self.seconds,
            path=self.path,
            httponly=True,
            secure=secure,
            samesite="lax",
        )

    def forget(self, response: Response) -> None:
        response.delete_cookie(self.cookie, path=self.path)


CUSTOMER = Bearer("customer")
"""Ordering's customer token (from an e-mailed link)."""
MERCHANT = Bearer("merchant", MERCHANT_PAGES)
"""The catalog's merchant token (from an e-mailed link): catalog, ordering and vouchers take it."""
COURIER = Bearer("courier", COURIER_PAGES)
"""Dispatch's courier token (from an e-mailed link)."""
ASSOCIATION = Bearer("association", ASSOCIATION_PAGES, ASSOCIATION_DAY)
"""The town's own association token (every service takes it), kept for a working day."""
customer_of = CUSTOMER.of
merchant_of = MERCHANT.of
courier_of = COURIER.of
association_of = ASSOCIATION.of


def keep_language(response: Response, language: str, *, secure: bool) -> None:
    response.set_cookie("lang", language, max_age=YEAR, httponly=True, secure=secure, samesite="lax")


def csrf_token(request: Request) -> str:
    """The visitor's form token: the cookie's, or a new one (set by :func:`keep_csrf`)."""
    current = request.cookies.get("csrf", "")
    if _CSRF.match(current):
        return current
    fresh: str = request.state.__dict__.setdefault("new_csrf", secrets.token_urlsafe(32))
    return fresh


def keep_csrf(request: Request, response: Response, *, secure: bool) -> None:
    """Set the form token's cookie if this page made a new one."""
    fresh = request.state.__dict__.get("new_csrf")
    if fresh:
        response.set_cookie("csrf", fresh, max_age=YEAR, httponly=True, secure=secure, samesite="lax")


def csrf_ok(request: Request, sent: str | None) -> bool:
    """Whether a posted form carries the visitor's own token."""
    cookie = request.cookies.get("csrf", "")
    return bool(sent) and bool(_CSRF.match(cookie)) and hmac.compare_digest(cookie, sent or "")
