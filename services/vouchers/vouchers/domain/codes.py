# SPDX-License-Identifier: AGPL-3.0-or-later
"""Voucher codes: unguessable, easy to read aloud and type, checked before any lookup.

A code is the voucher: whoever knows it can spend the money. So it carries 95 random bits
from :mod:`secrets` (a brute-force search of the whole space is out of reach even without the
API's throttling), and the service stores only :func:`code_hash` of it, keyed with the town's
secret, so a leaked table or backup gives away no code.

People copy codes from paper onto phones and read them out at the counter, so the alphabet
has 32 symbols without the look-alikes 0/O and 1/I, parsing forgives case, spaces and
dashes, and the 20th symbol is a check symbol (Luhn mod N over the alphabet) that turns a
typo into "check the code again" instead of a failed, throttled lookup.

What the check symbol catches: every single-symbol substitution, and every transposition of
two adjacent distinct symbols except one pair. Luhn mod N, like Luhn's mod 10 (which misses
09 ↔ 90), cannot tell the first and the last symbol of its alphabet apart when they swap
places: here ``2Z`` ↔ ``Z2``. Such a code is then refused by the lookup, as any wrong code is.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""The 32 symbols of a code, in the order that gives each its value for the check symbol."""

RANDOM_SYMBOLS = 19
"""19 symbols × 5 bits = 95 random bits; the masked form shows 3 of them, leaving 80 hidden."""

CODE_LENGTH = RANDOM_SYMBOLS + 1
GROUP_SIZE = 4
MAX_INPUT_LENGTH = 64
"""Longer input is refused before any work: a code with generous spacing fits in 64 characters."""

MIN_KEY_BYTES = 16

_N = len(ALPHABET)
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
# One random byte per symbol, reduced modulo 32: 256 is a multiple of 32, so every symbol is
# exactly equally likely (no modulo bias) and no byte needs to be redrawn.
assert 256 % _N == 0
# What people and documents put between groups: spaces of every kind, and dashes that word
# processors and PDF viewers substitute for the hyphen-minus when a code is copied.
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212")
_LOOK_ALIKES = {"0": "0 (zero)", "O": "O (the letter)", "1": "1 (one)", "I": "I (the letter)"}
_LOWER_TO_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_MASK = "••••"


class InvalidCode(ValueError):
    """Text that is not a voucher code; ``reason`` says why, in words the customer can act on.

    The reason never repeats the text: a near-miss of a code is still close to a secret.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedCode(InvalidCode):
    """Not shaped like a code at all: empty, too long, foreign characters, wrong length."""


class WrongCheckSymbol(InvalidCode):
    """Shaped like a code, but its check symbol does not match: almost certainly a typo."""


@dataclass(frozen=True)
class VoucherCode:
    """A valid code. ``canonical`` is what is hashed; ``display`` what is printed.

    ``repr`` and ``str`` show the masked form, so a code that reaches a log line or a
    traceback gives nothing away; ask for ``display`` explicitly to show it to its owner.
    """

    canonical: str

    def __post_init__(self) -> None:
        if len(self.canonical) != CODE_LENGTH or any(symbol not in _VALUE for symbol in self.canonical):
            raise MalformedCode(f"a voucher code has {CODE_LENGTH} symbols from {ALPHABET}")
        if not _check_holds(self.canonical):
            raise WrongCheckSymbol("the code's check symbol does not match")

    @property
    def display(self) -> str:
        """``7KQM-X2PA-…``: five groups of four, as printed and as the QR code carries it."""
        return "-".join(_groups(self.canonical))

    @property
    def masked(self) -> str:
        """``••••-••••-••••-••••-X7KQ``: enough to tell codes apart, never enough to use one."""
        groups = _groups(self.canonical)
        return "-".join([_MASK] * (len(groups) - 1) + [groups[-1]])

    def __repr__(self) -> str:
        return f"VoucherCode({self.masked})"

    __str__ = __repr__


def new_code(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> VoucherCode:
    """A fresh code from ``random_bytes`` (the CSPRNG; tests pass a seeded source)."""
    drawn = random_bytes(RANDOM_SYMBOLS)
    if len(drawn) != RANDOM_SYMBOLS:
        raise ValueError(f"random_bytes returned {len(drawn)} bytes, {RANDOM_SYMBOLS} were asked for")
    payload = "".join(ALPHABET[byte % _N] for byte in drawn)
    return VoucherCode(payload + check_symbol(payload))


def parse_code(text: str) -> VoucherCode:
    """The code in what a person typed or scanned; raises :class:`InvalidCode` with the reason.

    Case, spaces and dashes anywhere and surrounding whitespace are forgiven; anything else
    that cannot be part of a code is refused, naming the character when that helps.
    """
    if len(text) > MAX_INPUT_LENGTH:
        raise MalformedCode(f"that is too long for a voucher code ({CODE_LENGTH} letters and digits)")
    symbols = [character for character in text.strip() if not _is_separator(character)]
    if not symbols:
        raise MalformedCode("no code given: enter the code printed on the voucher")
    _refuse_foreign_characters(symbols)
    if len(symbols) != CODE_LENGTH:
        raise MalformedCode(
            f"a voucher code has {CODE_LENGTH} letters and digits, this has {len(symbols)}: check the code again"
        )
    canonical = "".join(symbols).translate(_LOWER_TO_UPPER)
    if not _check_holds(canonical):
        raise WrongCheckSymbol("this code contains a mistake, probably a typo: check the code again")
    return VoucherCode(canonical)


def check_symbol(payload: str) -> str:
    """The Luhn mod N check symbol that makes ``payload + symbol`` valid."""
    total = _luhn_sum(payload, double_first=True)
    return ALPHABET[(_N - total % _N) % _N]


def code_hash(key: bytes, code: VoucherCode) -> str:
    """HMAC-SHA256 (hex) of the canonical code under the town's code-hash key: what is stored.

    Keyed, so that the stored hashes of a town cannot be checked against guesses by anyone
    without its key (a plain hash of 95 bits would resist too, but the key also keeps one
    town's hashes meaningless in another).
    """
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the code-hash key must have at least {MIN_KEY_BYTES} bytes")
    return hmac.new(key, code.canonical.encode("ascii"), sha256).hexdigest()


def _luhn_sum(symbols: str, *, double_first: bool) -> int:
    # From the right, every second value is doubled and its two base-N "digits" are added.
    total = 0
    double = double_first
    for symbol in reversed(symbols):
        value = _VALUE[symbol] * (2 if double else 1)
        total += value // _N + value % _N
        double = not double
    return total


def _check_holds(canonical: str) -> bool:
    return _luhn_sum(canonical, double_first=False) % _N == 0


def _groups(canonical: str) -> list[str]:
    return [canonical[start : start + GROUP_SIZE] for start in range(0, len(canonical), GROUP_SIZE)]


def _is_separator(character: str) -> bool:
    return character in _SEPARATORS or unicodedata.category(character) == "Zs"


def _refuse_foreign_characters(symbols: list[str]) -> None:
    for character in symbols:
        if unicodedata.category(character) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}:
            raise MalformedCode("the code contains an invisible or control character: type the code again")
    for character in symbols:
        upper = character.translate(_LOWER_TO_UPPER)
        if upper in _LOOK_ALIKES:
            raise MalformedCode(
                f"the code contains {_LOOK_ALIKES[upper]}, which never occurs in voucher codes "
                "(they have no 0, O, 1 or I): check the code again"
            )
        if upper not in _VALUE:
            raise MalformedCode(
                f"the code contains {character!r}, which never occurs in voucher codes "
                "(letters A-Z and digits 2-9 only)"
            )
