# SPDX-License-Identifier: AGPL-3.0-or-later
"""Helpers shared by the tests and the benchmarks: throw-away towns on the local stack."""
