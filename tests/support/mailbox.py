# SPDX-License-Identifier: AGPL-3.0-or-later
"""A real SMTP server on loopback for the tests: what a service sends, as a mail server gets it."""

from __future__ import annotations

import contextlib
import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, TypeVar

from aiosmtpd.controller import Controller

from tests.support.local_stack import free_port


@dataclass
class Mailbox:
    """Every message the server accepted, parsed; ``port`` is where it listens."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for message in self.messages if address in str(message["To"])]

    @property
    def env(self) -> dict[str, str]:
        """What a service needs to send here."""
        return {"DOWNTOWN_SMTP_HOST": "127.0.0.1", "DOWNTOWN_SMTP_PORT": str(self.port)}


M = TypeVar("M", bound=Mailbox)


@contextlib.contextmanager
def serving(mailbox: M) -> Iterator[M]:
    """``mailbox`` (or a subclass that fails on purpose) listening on its port until the block ends."""
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def mailbox_on(port: int) -> contextlib.AbstractContextManager[Mailbox]:
    """A plain mailbox on ``port`` (a port the test chose, to stop and start it again)."""
    return serving(Mailbox(port))


def running_mailbox() -> contextlib.AbstractContextManager[Mailbox]:
    return mailbox_on(free_port())
