"""Who is calling, as far as the network says: for throttling guessers, never for trust."""

from __future__ import annotations

import ipaddress

from fastapi import Request


def client_address(request: Request) -> str:
    """Who is trying, for throttling: the client's address as the proxy reports it; for IPv6
    its /64 network, which one subscriber gets whole (rotating the rest is free)."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
