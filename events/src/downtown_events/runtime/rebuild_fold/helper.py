# SPDX-License-Identifier: Apache-2.0
"""The second process of a rebuild's bulk phase, as the first one sees it (:class:`Helper`):
forked, spoken to, listened to, and stopped.

The first process reads the helper's pipe as an asyncio stream, so its own fold and the
helper's messages share one event loop; a helper that fails, ends or falls silent is
noticed here and its partitions are read by the first process. What the helper itself
does after the fork is in ``helper_process``; why a fork and pipes at all, in the package's
docstring.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.process
import os
import time
from contextlib import suppress
from typing import Any

from aiokafka import TopicPartition

from downtown_events.runtime.rebuild_fold import frames
from downtown_events.runtime.rebuild_fold.frames import ABORT, FAILED, PROGRESS
from downtown_events.runtime.rebuild_fold.helper_process import helper_process

log = logging.getLogger(__name__)

HELPER_SILENCE = 120.0
"""Seconds the helper may go without a word before it is given up for dead."""
CAN_FORK = "fork" in multiprocessing.get_all_start_methods()


class Helper:
    """The second process of a rebuild's bulk phase, as the first one sees it.

    A fork of this process (so it starts in milliseconds, with every module imported and
    the policy object as it is) that reads and folds partitions with its own aiokafka
    reader, exactly like the first process, and talks over two pipes in pickled frames. It
    never touches what it inherited of this process's connections or event loop, and ends
    without running this process's clean-ups. The partitions are handed out through a pipe
    of tokens both processes read from, largest first, so whoever is faster takes more. When
    both are done, the first compares what each touched, asks for the rows that need
    combining (or for all of them, if the helper cannot reach the database itself), and each
    writes its own share (see ``in_two``).
    """

    def __init__(
        self,
        process: multiprocessing.process.BaseProcess,
        claims: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self._process = process
        self._claims = claims
        self._writer = writer
        self._frames: asyncio.Queue[tuple[int, Any] | None] = asyncio.Queue()
        self._heard = time.monotonic()
        self.events_read = 0
        self._listening = asyncio.create_task(self._listen(reader))

    @classmethod
    async def start(cls, order: list[TopicPartition], **job: Any) -> Helper | None:
        """Fork the helper with its job (``order``: the partitions the tokens stand for); None
        where processes cannot be forked."""
        try:
            context = multiprocessing.get_context("fork")
        except ValueError:
            return None
        claims = frames.hand_out(len(order))
        inbox, to_helper = os.pipe()
        from_helper, outbox = os.pipe()
        job = {**job, "order": order, "claims": claims}
        process = context.Process(
            target=helper_process,
            args=(job, inbox, outbox, (to_helper, from_helper)),
            name="rebuild-helper",
            daemon=True,  # should this process end without stopping it, it ends too
        )
        try:
            process.start()
        except OSError as error:
            log.warning("no second process for the rebuild (%s); folding in one", error)
            for fd in (claims, to_helper, from_helper):
                os.close(fd)
            return None
        finally:
            os.close(inbox)
            os.close(outbox)
        reader, writer = await _streams(from_helper, to_helper)
        return cls(process, claims, reader, writer)

    def claim(self) -> int | None:
        return frames.claim(self._claims)

    def send(self, kind: int, payload: Any) -> None:
        self._writer.write(frames.encode(kind, payload))

    async def receive(self, kind: int) -> Any:
        """The helper's next message, which must be ``kind``; None if it failed or fell silent."""
        while True:
            try:
                frame = await asyncio.wait_for(self._frames.get(), timeout=5)
            except TimeoutError:
                if time.monotonic() - self._heard > HELPER_SILENCE:
                    log.warning("the rebuild's helper process fell silent; carrying on without it")
                    return None
                continue
            if frame is None:
                return None
            if frame[0] == FAILED:
                log.warning("the rebuild's helper process failed:\n%s", frame[1])
                return None
            if frame[0] != kind:
                raise RuntimeError(f"the rebuild's helper sent message {frame[0]}, expected {kind}")
            return frame[1]

    async def _listen(self, reader: asyncio.StreamReader) -> None:
        """Every frame as it arrives: progress counted at once (for the progress bar), the
        rest queued for :meth:`receive`; None queued when the helper's end closes."""
        try:
            while True:
                head = await reader.readexactly(frames.HEAD)
                payload = frames.decode(await reader.readexactly(frames.payload_length(head)))
                self._heard = time.monotonic()
                if head[0] == PROGRESS:
                    self.events_read = payload
                else:
                    self._frames.put_nowait((head[0], payload))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # it ended; what it did not send is done here
        except Exception:
            log.exception("the rebuild's helper process sent what cannot be read")
        finally:
            self._frames.put_nowait(None)

    async def stop(self) -> None:
        """Ask the helper to roll back what it has not committed and end; make sure it does."""
        if self._claims < 0:
            return
        os.close(self._claims)
        self._claims = -1
        with suppress(ConnectionError, RuntimeError):
            self.send(ABORT, None)
            await self._writer.drain()
        self._writer.close()
        with suppress(TimeoutError):  # its end closes the pipe it writes to
            await asyncio.wait_for(asyncio.shield(self._listening), timeout=2)
        if self._process.exitcode is None:  # (its database session, if any, ends with it)
            self._process.kill()
        self._process.join()  # ended or killed: nothing to wait for
        self._process.close()


async def _streams(from_helper: int, to_helper: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """The first process's ends of the two pipes as an asyncio stream pair."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(from_helper, "rb", 0))
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, os.fdopen(to_helper, "wb", 0))
    return reader, asyncio.StreamWriter(transport, protocol, None, loop)
