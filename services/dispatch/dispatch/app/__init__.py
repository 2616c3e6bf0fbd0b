# SPDX-License-Identifier: AGPL-3.0-or-later
"""Use cases: command handlers and process managers, on the kit's store and command loop."""
