"""The vouchers read models, registered under the ``downtown.projections`` entry point."""

from vouchers.projections.code_lookup import CodeLookup
from vouchers.projections.ledger import VoucherLedger
from vouchers.projections.merchants import MerchantReplica
from vouchers.projections.sales import Sales

PROJECTIONS = [MerchantReplica(), CodeLookup(), VoucherLedger(), Sales()]

__all__ = ["PROJECTIONS", "CodeLookup", "MerchantReplica", "Sales", "VoucherLedger"]
