# SPDX-License-Identifier: Apache-2.0
"""Secrets a production instance refuses: known ones, and ones a guess would find.

A token secret signs every merchant's token, so a committed or guessable one lets anyone
forge them. In production (``DOWNTOWN_ENVIRONMENT=production``) each service's settings
pass their secrets through :func:`check_secret`, which refuses:

- every secret this repository has ever contained (development defaults, the demo towns'
  values that were once committed); only their SHA-256 hashes are listed here;
- placeholder words ("secret", "change", "password", …), which betray a value typed by hand;
- low entropy: fewer than 8 distinct characters, less than 100 bits by the Shannon
  estimate (length × entropy of the character distribution; ``"a" * 32`` has 0 bits,
  ``"abcd" * 8`` 64, ``secrets.token_urlsafe(32)`` about 200), or a repeated pattern that
  zlib squeezes to less than half (``"0123456789" * 4``).
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections import Counter

MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
MIN_DISTINCT_CHARACTERS = 8
MIN_ESTIMATED_BITS = 100.0
# Six letters or more, so a random value contains one by chance about once in 10^10.
PLACEHOLDER_WORDS = ("secret", "change", "password", "passwort", "example", "development", "default")

KNOWN_SECRET_HASHES = frozenset(
    {
        # development defaults of the catalog's settings
        "b02593c7958de42cec581b514000d7e7f65bab033ec119a89b6bed574d57a5e1",
        "502d6a5980c4c2437f523c686478064970c07ba6a3def35380f1933aa80c2793",
        # the demo towns' secrets, committed in deploy/local/towns/*.env until the local
        # stack started generating them per installation
        "287917d554b8455dc0950bfa05fdc4c26386a265a810b971795e29a788dfd43d",
        "5ca453bf9877b6dede08a0483e788c91a5dfb149aa36fa49dad8612e12f8b2ea",
        "863851b7ba5c724f595ca31635e806e222fa2937dc41f330d65f33b1a3ba4b2d",
        "3f433e87c19cd2a16c30eeb606906109a1f03cedcfe73816b58f4bc088c7285e",
    }
)


def estimated_bits(value: str) -> float:
    """Length times the Shannon entropy of the value's own character distribution."""
    counts = Counter(value)
    per_character = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    return per_character * len(value)


def _deflated_size(value: str) -> int:
    """Bytes of raw deflate (no zlib header): a repeated pattern shrinks, random text does not."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return len(compressor.compress(value.encode()) + compressor.flush())


def check_secret(name: str, value: str, *, min_length: int) -> None:
    """Raise ``ValueError`` saying why ``value`` is unfit as the production ``name``."""
    advice = f"set {name} to a random value, e.g. from {MAKE_ONE}"
    if hashlib.sha256(value.encode()).hexdigest() in KNOWN_SECRET_HASHES:
        raise ValueError(f"{name} is a published development or demo value; {advice}")
    if len(value) < min_length:
        raise ValueError(f"{name} must have at least {min_length} characters; {advice}")
    lowered = value.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        raise ValueError(f"{name} looks like a placeholder typed by hand; {advice}")
    repetitive = _deflated_size(value) < len(value) / 2
    if len(set(value)) < MIN_DISTINCT_CHARACTERS or estimated_bits(value) < MIN_ESTIMATED_BITS or repetitive:
        raise ValueError(f"{name} is too easy to guess (low entropy); {advice}")
