# SPDX-License-Identifier: AGPL-3.0-or-later
"""Pure voucher rules: programmes, purchases, vouchers, campaigns. No I/O, no framework."""
