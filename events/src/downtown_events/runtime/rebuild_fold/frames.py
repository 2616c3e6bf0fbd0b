# SPDX-License-Identifier: Apache-2.0
"""What travels between a rebuild and its forked helper: frames on two pipes, tokens on a third.

*Frames.* One byte of kind, eight of payload length, then the payload pickled. Pickle,
because both ends are the same program forked from one process (same classes, same
version, nothing from outside), and what crosses is the helper's folded rows, sets and
dicts: any other format would need a converter per policy. The length up front lets the
rebuild's side read frames from an asyncio stream without parsing as it goes.

The conversation, in order (the rebuild's side is ``helper.Helper``, the helper's
``helper_process``)::

    helper  -> rebuild   PROGRESS  events read so far (after every batch)
    helper  -> rebuild   FOLDED    what it touched, its versions, offsets, counts
    rebuild -> helper    WRITE     the rows to hand back (ABORT: roll back and end)
    helper  -> rebuild   ROWS      those rows
    helper  -> rebuild   WRITTEN   its own share committed
    helper  -> rebuild   FAILED    a traceback, instead of whatever came next

*Claim tokens.* The partitions are handed out through a pipe holding one token per
partition, largest first, its writing end closed before the fork. Each ``read`` of one
token is atomic, so both processes take the next partition from it without a lock, and
whoever is faster takes more; an empty read means none is left.
"""

from __future__ import annotations

import os
import pickle
from typing import IO, Any, TypedDict

from downtown_events.runtime.tracking import Parked

PROGRESS, FOLDED, WRITE, ABORT, ROWS, WRITTEN, FAILED = range(7)
"""The kinds of frames between a rebuild and its helper process."""
HEAD = 9
"""Bytes before a frame's payload: its kind (1) and the payload's length (8)."""
_TOKEN = 4  # bytes per claim token in the claims pipe


class FoldSummary(TypedDict):
    """The payload of a ``FOLDED`` frame: what the helper's fold holds, all but the rows."""

    versions: dict[str, int]
    parked: Parked
    offsets: dict[tuple[str, int], int]
    touched: set[tuple[str, Any]]
    """Every row it changed or looked at (the first process checks none was touched by both)."""
    changed: set[tuple[str, Any]]
    events_read: int
    undecodable: int
    writes: bool
    """It reached the database and writes its own share (else it hands every row back)."""
    merges: bool
    """The policy merges rows touched by both sides (else such rows undo the fold in two)."""


def encode(kind: int, payload: Any) -> bytes:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return kind.to_bytes(1, "big") + len(data).to_bytes(8, "big") + data


def payload_length(head: bytes) -> int:
    return int.from_bytes(head[1:], "big")


def decode(payload: bytes) -> Any:
    return pickle.loads(payload)


def write_frame(out: IO[bytes], kind: int, payload: Any) -> None:
    out.write(encode(kind, payload))
    out.flush()


def read_frame(source: IO[bytes]) -> tuple[int, Any]:
    head = source.read(HEAD)
    if len(head) < HEAD:
        raise EOFError("the other process closed the pipe")
    return head[0], decode(source.read(payload_length(head)))


def hand_out(count: int) -> int:
    """A pipe holding the tokens ``0 .. count-1`` (indexes into the shared order of
    partitions), its writing end already closed: when the tokens are gone, both readers
    see the end. Must be called before the fork."""
    claims, tokens = os.pipe()
    os.write(tokens, b"".join(index.to_bytes(_TOKEN, "big") for index in range(count)))
    os.close(tokens)
    return claims


def claim(claims: int) -> int | None:
    """The next partition nobody has taken yet (an index into the shared order), or None."""
    token = os.read(claims, _TOKEN)
    return int.from_bytes(token, "big") if token else None
