# SPDX-License-Identifier: AGPL-3.0-or-later
"""The vouchers use cases: command handlers and process managers."""
