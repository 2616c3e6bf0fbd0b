# SPDX-License-Identifier: Apache-2.0
"""Who the client is: only what the town's own proxies wrote into X-Forwarded-For counts."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from downtown_events.runtime.http.clients import client_address, forwarded_client
from downtown_events.runtime.settings import ServiceSettings

PEER = "10.0.0.9"  # the ingress controller, locally: whoever opened the socket


def settings(hops: int) -> ServiceSettings:
    return ServiceSettings(town="proxy-town", database_url="postgresql://localhost/unused", trusted_proxy_hops=hops)


def request(*forwarded_for: str, peer: str | None = PEER) -> Request:
    headers = [(b"x-forwarded-for", line.encode("latin-1")) for line in forwarded_for]
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    if peer is not None:
        scope["client"] = (peer, 40000)
    return Request(scope)


def test_without_a_trusted_proxy_the_header_is_ignored_and_the_peer_is_the_client() -> None:
    for forged in ("203.0.113.1", "203.0.113.1, 198.51.100.2", ""):
        assert client_address(request(forged), settings(0)) == PEER
    assert client_address(request(), settings(0)) == PEER


def test_behind_one_proxy_the_client_is_the_entry_it_appended_whatever_the_client_wrote_before_it() -> None:
    assert client_address(request("198.51.100.2"), settings(1)) == "198.51.100.2"
    for forged in ("203.0.113.1", "203.0.113.1, 192.0.2.77", "unknown", "127.0.0.1", "x" * 300):
        assert client_address(request(f"{forged}, 198.51.100.2"), settings(1)) == "198.51.100.2"


def test_behind_two_proxies_the_client_is_the_second_entry_from_the_right() -> None:
    assert client_address(request("203.0.113.1, 198.51.100.2, 10.1.2.3"), settings(2)) == "198.51.100.2"
    assert client_address(request("198.51.100.2, 10.1.2.3"), settings(2)) == "198.51.100.2"


def test_repeated_header_lines_read_as_one_list_in_order() -> None:
    """RFC 9110 § 5.3: several lines of a list header are one list; a proxy may add a line."""
    assert client_address(request("203.0.113.1", "198.51.100.2"), settings(1)) == "198.51.100.2"
    assert client_address(request("203.0.113.1, 198.51.100.2", "10.1.2.3"), settings(2)) == "198.51.100.2"


def test_a_header_shorter_than_the_proxy_chain_is_not_believed_the_peer_is_the_client() -> None:
    """Every proxy appends one entry, so a shorter header did not pass them all: whatever it
    holds may be the client's own words (its leftmost entry as much as any)."""
    assert client_address(request("203.0.113.1"), settings(2)) == PEER
    assert client_address(request(), settings(1)) == PEER
    assert client_address(request(""), settings(2)) == PEER


def test_an_entry_that_is_no_address_falls_back_to_the_peer() -> None:
    for written in ("unknown", "_hidden", "", "proxy.example", "300.1.2.3"):
        assert client_address(request(f"203.0.113.1, {written}"), settings(1)) == PEER


def test_ports_and_brackets_as_proxies_write_them_are_taken_off() -> None:
    assert forwarded_client(PEER, ["198.51.100.2:4711"], 1) == "198.51.100.2"
    assert forwarded_client(PEER, ["[2001:db8::1]:4711"], 1) == "2001:db8::1"
    assert forwarded_client(PEER, ["[2001:db8::1]"], 1) == "2001:db8::1"
    assert forwarded_client(PEER, [" 2001:db8::1 "], 1) == "2001:db8::1"


def test_an_ipv6_client_is_counted_by_its_64_network_and_a_mapped_ipv4_as_ipv4() -> None:
    assert client_address(request("2001:db8:1:2:aaaa::1"), settings(1)) == "2001:db8:1:2::/64"
    assert client_address(request("2001:db8:1:2:bbbb::9"), settings(1)) == "2001:db8:1:2::/64"
    assert client_address(request("::ffff:198.51.100.2"), settings(1)) == "198.51.100.2"
    assert client_address(request(peer="2001:db8:5:6::7"), settings(0)) == "2001:db8:5:6::/64"


def test_a_request_without_a_peer_is_counted_as_unknown() -> None:
    assert client_address(request(peer=None), settings(0)) == "unknown"
    assert client_address(request("198.51.100.2", peer=None), settings(1)) == "198.51.100.2"


def test_the_setting_is_read_from_the_environment_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOWNTOWN_TRUSTED_PROXY_HOPS", "1")
    assert ServiceSettings(town="proxy-town", database_url="postgresql://x/y").trusted_proxy_hops == 1
    monkeypatch.delenv("DOWNTOWN_TRUSTED_PROXY_HOPS")
    assert ServiceSettings(town="proxy-town", database_url="postgresql://x/y").trusted_proxy_hops == 0
    with pytest.raises(ValueError, match="trusted_proxy_hops"):
        settings(-1)
