# SPDX-License-Identifier: AGPL-3.0-or-later
"""Pure rules: aggregates, their commands and the events they decide. No I/O, no framework."""
