# SPDX-License-Identifier: AGPL-3.0-or-later
"""Vendor Swagger UI (npm ``swagger-ui-dist``) for every service's ``/docs``, reproducibly.

    .downtown/venv/bin/python deploy/vendor_swagger_ui.py            # the pinned version again
    .downtown/venv/bin/python deploy/vendor_swagger_ui.py --check    # only compare, write nothing
    .downtown/venv/bin/python deploy/vendor_swagger_ui.py --version 5.36.0   # move the pin

The pin (version, the tarball's sha512 ``integrity`` and each kept file's sha256) lives in
``pin.json`` beside the files: the kit builds its asset URLs from that version, and a unit
test checks the tracked files against those hashes. The tarball must match the pinned
integrity and the npm registry's ``dist.integrity`` alike, so neither a changed registry
entry nor a changed pin goes unnoticed. Only what the page needs is kept, with the notices
Apache-2.0 (LICENSE, NOTICE) and the bundled MIT and BSD code (the bundle's LICENSE.txt) ask
to travel with it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "events" / "src" / "downtown_events" / "runtime" / "http" / "static" / "swagger-ui"
PIN = TARGET / "pin.json"
PACKAGE = "swagger-ui-dist"
REGISTRY = "https://registry.npmjs.org"
KEEP = (
    "swagger-ui-bundle.js",
    "swagger-ui.css",
    "favicon-32x32.png",
    "LICENSE",
    "NOTICE",
    "swagger-ui-bundle.js.LICENSE.txt",
)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        body: bytes = response.read()
    return body


def integrity(data: bytes) -> str:
    """npm's Subresource-Integrity form of a tarball: ``sha512-<base64>``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(version: str, pinned: str | None) -> tuple[str, dict[str, bytes]]:
    """The integrity of ``version``'s tarball and its kept files, once the tarball matches the
    registry's ``dist.integrity`` (and the pin's, unless the pin is being moved)."""
    meta = json.loads(_get(f"{REGISTRY}/{PACKAGE}/{version}"))
    expected = meta["dist"]["integrity"]
    if pinned is not None and pinned != expected:
        raise SystemExit(f"the registry's integrity of {PACKAGE} {version} is {expected}, the pin says {pinned}")
    tarball = _get(f"{REGISTRY}/{PACKAGE}/-/{PACKAGE}-{version}.tgz")
    if integrity(tarball) != expected:
        raise SystemExit(f"{PACKAGE}-{version}.tgz does not match its integrity {expected}")
    files = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for name in KEEP:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise SystemExit(f"{name} is not a file in {PACKAGE}-{version}.tgz")
            files[name] = member.read()
    return expected, files


def _same(path: Path, expected: str) -> bool:
    return path.is_file() and sha256(path.read_bytes()) == expected


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", help="move the pin to this version of swagger-ui-dist")
    parser.add_argument("--check", action="store_true", help="compare the tracked files, write nothing")
    args = parser.parse_args(argv)
    pin = json.loads(PIN.read_text()) if PIN.exists() else {}
    moving = args.version is not None and args.version != pin.get("version")
    version = args.version or pin["version"]
    checked, files = fetch(version, None if moving else pin["integrity"])
    hashes = {name: sha256(data) for name, data in files.items()}
    if args.check:
        different = [name for name in KEEP if not _same(TARGET / name, hashes[name])]
        for name in different:
            print(f"differs from {PACKAGE} {version}: {name}", file=sys.stderr)
        return 1 if different or hashes != pin.get("sha256") else 0
    if not moving and hashes != pin["sha256"]:
        raise SystemExit(f"{PACKAGE} {version}'s files are not the pinned ones: {hashes}")
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (TARGET / name).write_bytes(data)
    new_pin = {"package": PACKAGE, "version": version, "integrity": checked, "sha256": hashes}
    PIN.write_text(json.dumps(new_pin, indent=2) + "\n")
    print(f"{PACKAGE} {version}: {', '.join(KEEP)} in {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
