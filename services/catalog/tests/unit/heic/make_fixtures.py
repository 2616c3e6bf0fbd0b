# SPDX-License-Identifier: AGPL-3.0-or-later
"""Encode the HEIC photos the catalog's tests decode (run by hand; the catalog itself has no HEIC encoder).

    .downtown/venv/bin/pip install pillow-heif   # only for this, then uninstall it again
    .downtown/venv/bin/python services/catalog/tests/unit/heic/make_fixtures.py

The pictures are photo_samples' own (drawn by Pillow, deterministic per seed); only their encoding
needs pillow-heif, whose bundled x265 encoder is GPLv2 and stays out of the catalog (decision 35).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pillow_heif

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from photo_samples import encode_marked_photo, encode_sample, heic_fixture_name  # noqa: E402

# (width, height, gps): what the tests ask sample_photo("heic", …) for.
SAMPLES = [(1000, 500, False), (400, 300, True)]
MARKED_ORIENTATIONS = [6]


def main() -> None:
    pillow_heif.register_heif_opener()
    for width, height, gps in SAMPLES:
        name = heic_fixture_name(width, height, gps=gps)
        (HERE / name).write_bytes(encode_sample("heic", width=width, height=height, gps=gps))
        print(name)
    for orientation in MARKED_ORIENTATIONS:
        name = f"marked-orientation{orientation}.heic"
        (HERE / name).write_bytes(encode_marked_photo("HEIF", orientation))
        print(name)


if __name__ == "__main__":
    main()
