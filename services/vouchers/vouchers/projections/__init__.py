# SPDX-License-Identifier: AGPL-3.0-or-later
"""The vouchers read models, registered under the ``downtown.projections`` entry point."""

from vouchers.projections.buyers import BuyerPurchaseIndex
from vouchers.projections.code_lookup import CodeLookup
from vouchers.projections.code_masks import CodeMasks
from vouchers.projections.ledger import VoucherLedger
from vouchers.projections.merchants import MERCHANT_REPLICA
from vouchers.projections.sales import Sales

PROJECTIONS = [MERCHANT_REPLICA, CodeLookup(), CodeMasks(), BuyerPurchaseIndex(), VoucherLedger(), Sales()]

__all__ = ["MERCHANT_REPLICA", "PROJECTIONS", "BuyerPurchaseIndex", "CodeLookup", "CodeMasks", "Sales", "VoucherLedger"]
