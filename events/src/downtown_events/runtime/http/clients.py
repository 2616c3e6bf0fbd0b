# SPDX-License-Identifier: Apache-2.0
"""Who is calling, as far as the network says: for throttling guessers, never for trust.

A client may write anything into ``X-Forwarded-For``; only what the town's own proxies
appended can be believed. Each proxy appends the address it received the request from, so
behind ``trusted_proxy_hops`` proxies the client is the entry that many places from the
right: the outermost proxy wrote it, and every entry left of it came from the client. With
no proxy (``0``, running locally) the header is ignored and the socket's peer is the client.

This is the one place that decides it. The API server's own proxy-header handling is off
(``serve.py``): uvicorn, told to trust a proxy, takes the *leftmost* entry, the one the
client wrote, so a guesser rotating it had a fresh throttle budget on every request.
"""

from __future__ import annotations

import ipaddress
from typing import Protocol

from starlette.requests import Request

UNKNOWN = "unknown"


class ProxySettings(Protocol):
    """What the helper reads of a service's settings (``ServiceSettings`` has it)."""

    @property
    def trusted_proxy_hops(self) -> int: ...


def client_address(request: Request, settings: ProxySettings) -> str:
    """Who is trying, for throttling: the client's address as the town's proxies report it
    (see the module's docstring); for IPv6 its /64 network, which one subscriber gets whole
    (rotating the rest is free)."""
    peer = request.client.host if request.client else UNKNOWN
    forwarded_for = request.headers.getlist("x-forwarded-for")
    return throttling_key(forwarded_client(peer, forwarded_for, settings.trusted_proxy_hops))


def forwarded_client(peer: str, forwarded_for: list[str], hops: int) -> str:
    """The client's address: the entry ``hops`` places from the right of ``X-Forwarded-For``
    (all its header lines, in order), or ``peer``.

    The peer is the answer whenever the header cannot be believed: no proxy is trusted; the
    header has fewer entries than there are proxies (every proxy appends one, so a request
    that passed them all has at least ``hops``: a shorter one reached the API some other way,
    and all it carries may be the client's own words, so its leftmost entry is no better);
    or the entry a trusted proxy wrote is not an address. The peer is the one thing nobody
    can forge: at worst, requests that bypassed the proxies share their sender's budget.
    """
    if hops <= 0:
        return peer
    entries = [entry.strip() for line in forwarded_for for entry in line.split(",")]
    if len(entries) < hops:
        return peer
    address = _address(entries[-hops])
    return str(address) if address is not None else peer


def throttling_key(host: str) -> str:
    """One key per client: an IPv4 address (also when written IPv4-mapped), an IPv6 /64."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _address(entry: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An entry as proxies write it: ``203.0.113.7``, ``203.0.113.7:4711``, ``2001:db8::1``
    or ``[2001:db8::1]:4711``; anything else (``unknown``, a name) is None."""
    if entry.startswith("["):
        entry = entry[1:].partition("]")[0]
    elif entry.count(":") == 1:
        entry = entry.partition(":")[0]
    try:
        return ipaddress.ip_address(entry)
    except ValueError:
        return None
