# SPDX-License-Identifier: AGPL-3.0-or-later
"""Downtown's benchmarks: measured in one run, on one machine, against baselines from the same run.

``python -m bench`` runs them all; ``python -m bench append rebuild latency`` picks some.
Each benchmark works in its own random town and throw-away databases and topics, so it
never touches a demo town. Targets are reported as met or missed, never asserted: speed
is measured here, correctness is the tests' job.
"""
