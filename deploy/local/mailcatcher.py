# SPDX-License-Identifier: AGPL-3.0-or-later
"""A local SMTP server for ``make run``: every mail it receives becomes a file, nothing leaves.

    .downtown/venv/bin/python -P deploy/local/mailcatcher.py --port 18125 --dir .downtown/mail/schoeppingen

deploy/local/services.sh starts one per demo town (on loopback, the town's port base + 25)
and points that town's ordering at it (``DOWNTOWN_SMTP_HOST``/``DOWNTOWN_SMTP_PORT``). Each
message is written as it was received, as ``<dir>/<UTC timestamp>-<id>.eml`` (open it with any
mail client, or read it: it is text), with the envelope's sender and recipients added as
``X-Envelope-From``/``X-Envelope-To`` header lines on top. A file appears complete or not at
all (written beside, then renamed), and the server answers 250 only once it is on disk, so a
mail the sender counts as delivered is never missing here. Stopped by SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class MailToFiles:
    """The aiosmtpd handler: one ``.eml`` file per accepted message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        top = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        try:
            path = self.write(top.encode("utf-8") + content)
        except OSError as error:  # the sender keeps it and tries again later
            print(f"mailcatcher: could not write a mail: {error}", file=sys.stderr, flush=True)
            return "451 Requested action aborted: local error in processing"
        print(f"mailcatcher: {envelope.mail_from} -> {', '.join(envelope.rcpt_tos)}: {path}", flush=True)
        return "250 OK"

    def write(self, message: bytes) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        partial = path.with_name(f".{path.name}.partial")
        with open(partial, "wb") as file:
            file.write(message)
            file.flush()
            os.fsync(file.fileno())
        partial.rename(path)
        return path


async def serve(host: str, port: int, folder: Path) -> None:
    handler = MailToFiles(folder)
    loop = asyncio.get_running_loop()

    def session() -> Any:  # SMTPUTF8: ordering may send to an address that is not ASCII
        return SMTP(handler, hostname="mailcatcher.downtown.local", enable_SMTPUTF8=True, decode_data=False)

    server = await loop.create_server(session, host=host, port=port)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"mailcatcher: listening on {host}:{port}, mails go to {folder}/", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()
    print("mailcatcher: stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="the port to listen on")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: loopback)")
    parser.add_argument("--dir", type=Path, required=True, help="where each mail is written as an .eml file")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(serve(args.host, args.port, args.dir.resolve()))
    except OSError as error:
        print(f"mailcatcher: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
