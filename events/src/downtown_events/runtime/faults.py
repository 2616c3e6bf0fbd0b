# SPDX-License-Identifier: Apache-2.0
"""Fault injection for crash tests: die at a named step, the way a node dies.

A test starts a process with ``DOWNTOWN_FAULT_POINT=<step>``; when the process reaches
that step it kills itself with SIGKILL (no ``finally``, no shutdown hook, no flush), and
the test checks that the restarted process finishes the work exactly once. Outside such
a test the variable is unset and every crash point is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

FAULT_POINT_VARIABLE = "DOWNTOWN_FAULT_POINT"


def crash_point(step: str) -> None:
    if os.environ.get(FAULT_POINT_VARIABLE) == step:
        os.kill(os.getpid(), signal.SIGKILL)
