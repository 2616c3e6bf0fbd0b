# SPDX-License-Identifier: AGPL-3.0-or-later
"""The pages, by whom they serve: the storefront (customers), later the merchant's, courier's and association's."""
