# SPDX-License-Identifier: AGPL-3.0-or-later
"""The ordering use cases: command handlers and the order saga's process manager."""
