# SPDX-License-Identifier: AGPL-3.0-or-later
"""Downtown's vouchers service: "support now, spend later", for one shop or the whole town."""
