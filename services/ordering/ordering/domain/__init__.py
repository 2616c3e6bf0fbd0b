# SPDX-License-Identifier: AGPL-3.0-or-later
"""Pure order rules: baskets, checkout, the order state machine, invoices, customer accounts. No I/O, no framework."""
