# SPDX-License-Identifier: Apache-2.0
"""One e-mail address, one key: the canonical form of an address where it counts something.

Where an address is a key — a campaign's cap per buyer, open purchases per buyer, sign-in
links and checkouts throttled per address — the spellings one mailbox answers to must count
as one: ``Anna+1@example.de``, ``a.n.n.a@example.de``, ``аnna@example.de`` (a Cyrillic а),
``ａｎｎａ@ｅｘａｍｐｌｅ.ｄｅ`` (fullwidth), ``"anna"@example.de``, ``anna@example.de.``,
``anna@bücher.example`` and ``anna@xn--bcher-kva.example``. The canonical form is only a key:
mail still goes to the address as written. It merges more than one provider would (dots and
``+tags`` are dropped for every domain), which only makes a cap stricter, never looser.
"""

from __future__ import annotations

import contextlib

from downtown_events.text import folded_for_comparison


def canonical_email(address: str) -> str:
    """The key of the mailbox ``address`` names (see the module's docstring); an address
    without an ``@`` comes back folded only, so that a key is always made."""
    folded = folded_for_comparison(address).strip()
    local, at, domain = folded.rpartition("@")
    if not at:
        return folded
    return f"{_canonical_local(local)}@{_canonical_domain(domain)}"


def _canonical_local(local: str) -> str:
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        local = local[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    local = local.split("+", 1)[0]
    return local.replace(".", "")


def _canonical_domain(domain: str) -> str:
    """The domain as DNS knows it: trailing dot dropped, look-alikes mapped, then IDNA
    (``bücher.example`` and ``xn--bcher-kva.example`` are one)."""
    labels = []
    for label in domain.rstrip(".").split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):  # not a valid A-label: kept as written
                label = label.encode("ascii").decode("idna")
        label = folded_for_comparison(label)
        try:
            labels.append(label.encode("idna").decode("ascii") if label else label)
        except UnicodeError:
            labels.append(label)  # not encodable (too long, odd code points): kept as written
    return ".".join(labels)
