# SPDX-License-Identifier: AGPL-3.0-or-later
"""Vendor pinned npm packages (Swagger UI for ``/docs``, jsQR for the web front's camera scan,
axe-core for the browser tests), reproducibly.

    .downtown/venv/bin/python deploy/vendor_npm.py                      # every pinned version again
    .downtown/venv/bin/python deploy/vendor_npm.py --check              # only compare, write nothing
    .downtown/venv/bin/python deploy/vendor_npm.py axe-core             # one package
    .downtown/venv/bin/python deploy/vendor_npm.py swagger-ui-dist --version 5.36.0   # move its pin

Each package's pin (version, the tarball's sha512 ``integrity`` and each kept file's sha256)
lives in ``pin.json`` beside its files. The tarball must match the pinned integrity and the npm
registry's ``dist.integrity`` alike, so neither a changed registry entry nor a changed pin goes
unnoticed; the kept files must then be the pinned ones, unless the pin is being moved. Readers
of the pins: the kit builds Swagger UI's asset URLs from its version (``runtime/http/docs.py``)
and a unit test checks its files against the hashes (``events/tests/unit/test_docs_offline.py``);
``tests/support/browser.py`` refuses to inject an ``axe.min.js`` whose sha256 is not the pinned one;
the web front's unit tests check jsQR's (``web/tests/unit/test_vendored_jsqr.py``).
Only what is used is kept, with the licence texts that must travel with it; a file from a folder
of the tarball (``dist/jsQR.js``) is kept under its own name, beside the others.
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Vendored:
    """Where a package's files go, and which of its tarball's ``package/`` files are kept."""

    target: Path
    keep: tuple[str, ...]

    @property
    def pin(self) -> Path:
        return self.target / "pin.json"

    @property
    def names(self) -> tuple[str, ...]:
        """The kept files' names in ``target`` and the pin: each file's own name, without its folder."""
        return tuple(Path(name).name for name in self.keep)


PACKAGES = {
    # Apache-2.0 (LICENSE, NOTICE); the bundle's MIT and BSD code asks for its LICENSE.txt to travel with it.
    "swagger-ui-dist": Vendored(
        ROOT / "events" / "src" / "downtown_events" / "runtime" / "http" / "static" / "swagger-ui",
        (
            "swagger-ui-bundle.js",
            "swagger-ui.css",
            "favicon-32x32.png",
            "LICENSE",
            "NOTICE",
            "swagger-ui-bundle.js.LICENSE.txt",
        ),
    ),
    # MPL-2.0: its LICENSE travels with the unmodified file (whose own header names it too);
    # nothing of it is built into Downtown's packages, only the tests load it.
    "axe-core": Vendored(ROOT / "tests" / "support" / "vendor" / "axe-core", ("axe.min.js", "LICENSE")),
    # Apache-2.0 (LICENSE; no NOTICE): the web front's camera scan where a browser has no
    # BarcodeDetector (static/scan.js loads it only when the camera is opened). Its one browser
    # build (UMD, unminified) and the licence are kept.
    "jsqr": Vendored(
        ROOT / "web" / "downtown_web" / "static" / "vendor" / "jsqr",
        ("dist/jsQR.js", "LICENSE"),
    ),
}


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:  # a fixed https URL
        body: bytes = response.read()
    return body


def integrity(data: bytes) -> str:
    """npm's Subresource-Integrity form of a tarball: ``sha512-<base64>``."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(package: str, version: str, pinned: str | None) -> tuple[str, dict[str, bytes]]:
    """The integrity of ``version``'s tarball and its kept files, once the tarball matches the
    registry's ``dist.integrity`` (and the pin's, unless the pin is being moved)."""
    meta = json.loads(_get(f"{REGISTRY}/{package}/{version}"))
    expected = meta["dist"]["integrity"]
    if pinned is not None and pinned != expected:
        raise SystemExit(f"the registry's integrity of {package} {version} is {expected}, the pin says {pinned}")
    tarball = _get(f"{REGISTRY}/{package}/-/{package}-{version}.tgz")
    if integrity(tarball) != expected:
        raise SystemExit(f"{package}-{version}.tgz does not match its integrity {expected}")
    files = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for name in PACKAGES[package].keep:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise SystemExit(f"{name} is not a file in {package}-{version}.tgz")
            files[Path(name).name] = member.read()
    return expected, files


def _same(path: Path, expected: str) -> bool:
    return path.is_file() and sha256(path.read_bytes()) == expected


def vendor(package: str, new_version: str | None, check: bool) -> bool:
    """Downloads ``package`` again and writes its kept files and pin (or, with ``check``, only
    compares them); False when a checked file or the pin differs."""
    vendored = PACKAGES[package]
    pin = json.loads(vendored.pin.read_text()) if vendored.pin.exists() else {}
    moving = new_version is not None and new_version != pin.get("version")
    version = new_version or pin.get("version")
    if version is None:
        raise SystemExit(f"{package} has no pin yet: give --version")
    checked, files = fetch(package, version, None if moving else pin["integrity"])
    hashes = {name: sha256(data) for name, data in files.items()}
    if check:
        different = [name for name in vendored.names if not _same(vendored.target / name, hashes[name])]
        for name in different:
            print(f"differs from {package} {version}: {name}", file=sys.stderr)
        if hashes != pin.get("sha256"):
            print(f"differs from {package} {version}: {vendored.pin.relative_to(ROOT)}", file=sys.stderr)
            return False
        if not different:
            print(f"{package} {version}: as pinned in {vendored.pin.relative_to(ROOT)}")
        return not different
    if not moving and hashes != pin["sha256"]:
        raise SystemExit(f"{package} {version}'s files are not the pinned ones: {hashes}")
    vendored.target.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (vendored.target / name).write_bytes(data)
    new_pin = {"package": package, "version": version, "integrity": checked, "sha256": hashes}
    vendored.pin.write_text(json.dumps(new_pin, indent=2) + "\n")
    print(f"{package} {version}: {', '.join(vendored.names)} in {vendored.target.relative_to(ROOT)}")
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", nargs="?", choices=sorted(PACKAGES), help="only this package (default: all)")
    parser.add_argument("--version", help="move the named package's pin to this version")
    parser.add_argument("--check", action="store_true", help="compare the tracked files, write nothing")
    args = parser.parse_args(argv)
    if args.version is not None and args.package is None:
        parser.error("--version moves one package's pin: name the package")
    packages = [args.package] if args.package else list(PACKAGES)
    results = [vendor(package, args.version, args.check) for package in packages]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
