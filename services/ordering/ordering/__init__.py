# SPDX-License-Identifier: AGPL-3.0-or-later
"""Downtown's ordering service: baskets, checkout, orders and the order saga."""
