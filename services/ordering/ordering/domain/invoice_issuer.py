# SPDX-License-Identifier: AGPL-3.0-or-later
"""Who may issue invoices, and as whom: the rule checkout and the invoice itself share.

Only merchants the town's association approved act with money (the catalog's
``MerchantApproved``; withdrawn by ``MerchantApprovalWithdrawn``), and an invoice must carry
the merchant's tax number or VAT id and address (§ 14 Abs. 4 Nr. 1, 2 UStG). Checkout
refuses an order on invoice at a shop that cannot issue one, naming the shop, rather than
taking an order whose invoice could never be issued; should a shop lose either between
checkout and handing over, the invoice is refused with the handing over (one unit of work),
telling the merchant what to do.
"""

from __future__ import annotations

from typing import Literal

from ordering.domain.errors import InvalidChange
from ordering.domain.facts import MerchantFacts
from ordering.domain.private_events import BankAccount, InvoiceParty, TaxNumberKind

Refusal = Literal["not_approved", "no_tax_number", "no_address"]


def invoicing_refusal(merchant: MerchantFacts) -> Refusal | None:
    """Why the merchant cannot issue an invoice now (None: it can): the association has not
    approved it (approval is what lets a merchant act with money), or its invoices would lack
    the tax number or the address § 14 UStG asks for."""
    if not merchant.approved:
        return "not_approved"
    if not merchant.tax_number.strip():
        return "no_tax_number"
    if merchant.address is None:
        return "no_address"
    return None


_AT_CHECKOUT: dict[Refusal, str] = {
    "not_approved": "{name} takes no orders on invoice: the town's association has not approved it for payments",
    "no_tax_number": "{name} takes no orders on invoice: it has given no tax number or VAT id for its invoices",
    "no_address": "{name} takes no orders on invoice: the catalog has no address of it for its invoices",
}
_AT_ISSUE: dict[Refusal, str] = {
    "not_approved": "{name} cannot issue this invoice: the town's association does not vouch for it (any more); "
    "ask the association, or cancel the order",
    "no_tax_number": "{name} cannot issue this invoice without a tax number or VAT id (§ 14 UStG); add it to the "
    "shop's profile and try again",
    "no_address": "{name} cannot issue this invoice without the shop's address; complete the shop's profile and "
    "try again",
}


def not_on_invoice(merchant: MerchantFacts) -> str | None:
    """Why a customer cannot pay the merchant on invoice, in their words (None: they can)."""
    refusal = invoicing_refusal(merchant)
    return None if refusal is None else _AT_CHECKOUT[refusal].format(name=merchant.name)


def ensure_takes_invoices(merchant: MerchantFacts) -> None:
    """Checkout's rule: an order on invoice only where the merchant can issue the invoice."""
    refusal = not_on_invoice(merchant)
    if refusal is not None:
        raise InvalidChange(refusal + "; choose another way to pay")


def invoice_seller(merchant: MerchantFacts | None) -> InvoiceParty:
    """The merchant as its invoice names it today, or why it cannot issue one."""
    if merchant is None:
        raise InvalidChange("ordering has not heard of this shop from the catalog (any more); try again in a moment")
    refusal = invoicing_refusal(merchant)
    if refusal is not None or merchant.address is None:
        raise InvalidChange(_AT_ISSUE[refusal or "no_address"].format(name=merchant.name))
    number = merchant.tax_number.strip()
    return InvoiceParty(
        name=merchant.name,
        address=merchant.address,
        tax_number=number,
        tax_number_kind=tax_number_kind(number, merchant.tax_number_kind),
    )


def invoice_bank(merchant: MerchantFacts | None) -> BankAccount | None:
    """The account the merchant's profile names for transfers (None: none recorded)."""
    if merchant is None:
        return None
    return invoice_bank_of(merchant.name, merchant.iban, merchant.bic, merchant.account_holder)


def invoice_bank_of(name: str, iban: str, bic: str, account_holder: str) -> BankAccount | None:
    """The account as an invoice prints it: the IBAN in groups of four, as people copy it
    from paper; the shop's name when the profile names no holder."""
    compact = "".join(iban.split()).upper()
    if not compact:
        return None
    grouped = " ".join(compact[start : start + 4] for start in range(0, len(compact), 4))
    holder = account_holder.strip() or name
    return BankAccount(iban=grouped, bic=bic.strip().upper(), account_holder=holder[:120])


_KIND_NAMED: dict[str, TaxNumberKind] = {"steuernummer": "tax_number", "ust_idnr": "vat_id"}


def tax_number_kind(tax_number: str, named: str = "") -> TaxNumberKind:
    """What the merchant said its number is (the catalog's profile: Steuernummer or USt-IdNr.);
    for a profile that does not say, from its form: a VAT id starts with its country's two
    letters (DE123456789), a Steuernummer is digits (12/345/67890)."""
    if named in _KIND_NAMED:
        return _KIND_NAMED[named]
    return "vat_id" if tax_number[:2].isalpha() else "tax_number"
