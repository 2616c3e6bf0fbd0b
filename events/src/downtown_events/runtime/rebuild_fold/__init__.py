# SPDX-License-Identifier: Apache-2.0
"""How a rebuild folds the log in memory: :class:`BulkFold` in one process, or two.

A projection that allows it (``Projection.parallel_rebuild``) and is rebuilt from topics
is folded by this process and a forked :class:`Helper`, each taking whole partitions, so
each stream stays in one process and in order (:func:`fold_in_two`). The two folds are
combined exactly when no stream and no row was touched from both sides; rows touched from
both are combined by the policy's ``merge``; otherwise nothing is kept and the rebuild
folds in one process after all.

The pieces, each readable alone:

- ``bulk``: the fold of a batch of records into rows in memory, and writing them once;
- ``frames``: what crosses between the two processes (pickled frames, claim tokens);
- ``helper``: the helper process as the rebuilding process sees it (fork, listen, stop);
- ``helper_process``: what the helper does once forked;
- ``share``: how either side writes its share of the rows, or undoes it;
- ``in_two``: the fold in two processes, from the fork to the combined write.

Why it is built this way (decision 15; measured on 200,000 events against a raw aiokafka
read of the same topic in the same run, 2026-12-02):

- *In memory, written once.* The rebuild tables are empty and private, so nothing needs to
  be read back and each row is written once with ``COPY``, the indexes last. Folding and
  writing per batch, as the live worker must, ran at 0.21-0.24 of the raw read
  (``town_catalog``) and 0.41-0.45 (``town_directory``).
- *Python's cyclic GC paused* during the bulk phase: every full collection walks the whole
  growing read model again; pausing it made the bulk phase ~40 % faster.
- *Two processes.* The catalog is bound by the CPU: about 13 µs per record in the process
  (half of it aiokafka's own) and PostgreSQL's German tsvector per offer. One process
  reaches 0.37-0.41 and 0.63-0.87 of the raw read; two, 0.55-0.62 and 1.23-1.41.
- *A fork*, not a fresh interpreter: it starts in milliseconds with everything imported
  and the policy as it is; a spawned one spent 0.6 s before reading anything.
- *Pipes*: a fork shares nothing once it runs. Partitions are handed out through a pipe
  of tokens (largest first, so whoever is faster takes more, with no lock); results and
  orders travel as pickled frames on two more.
"""

from __future__ import annotations

from downtown_events.runtime.rebuild_fold.bulk import BulkFold, copy_versions, cyclic_gc_paused
from downtown_events.runtime.rebuild_fold.frames import ABORT, FAILED, FOLDED, PROGRESS, ROWS, WRITE, WRITTEN
from downtown_events.runtime.rebuild_fold.helper import CAN_FORK, HELPER_SILENCE, Helper
from downtown_events.runtime.rebuild_fold.in_two import GONE, Folded, fold_in_two

__all__ = [
    "ABORT",
    "CAN_FORK",
    "FAILED",
    "FOLDED",
    "GONE",
    "HELPER_SILENCE",
    "PROGRESS",
    "ROWS",
    "WRITE",
    "WRITTEN",
    "BulkFold",
    "Folded",
    "Helper",
    "copy_versions",
    "cyclic_gc_paused",
    "fold_in_two",
]
