# SPDX-License-Identifier: AGPL-3.0-or-later
"""What a merchant's invoices say about paying and tax: its bank account and its tax number.

A customer who pays an invoice types the IBAN printed on it; one wrong digit sends the money
elsewhere. So an IBAN is checked the way banks check it (ISO 13616: the country's length and
the mod-97 check digits) before it is ever printed. A tax number is either the Steuernummer
the tax office gave (10 to 13 digits, written by the states as 12/345/67890 or 123/456/78901,
or the 13 digits of the federal form) or the VAT id (USt-IdNr: DE and 9 digits); an invoice
names which (§ 14 Abs. 4 Nr. 2 UStG), so its kind is recorded, and read from its form when the
merchant does not say.

Functions here raise :class:`ValueError` with a reason a merchant can act on: the API's
request models call them in validators (a 422 naming the field), the merchant's decisions
through :func:`checked_profile` (an ``InvalidChange``).
"""

from __future__ import annotations

import re

from downtown_events.catalog import BankAccount, MerchantProfile, TaxNumberKind

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
"""An IBAN's length in each country that issues them (SWIFT's IBAN registry, ISO 13616)."""

_IBAN_CHARACTERS = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+")
_BIC = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_UST_IDNR = re.compile(r"DE[0-9]{9}")
_STEUERNUMMER = re.compile(r"[0-9]{2,3}/?[0-9]{3,4}/?[0-9]{4,5}|[0-9]{13}")


def _compact(text: str) -> str:
    """As typed or copied from a letterhead: spaces (also non-breaking ones) dropped, capitals."""
    return "".join(text.split()).upper()


def normalised_iban(text: str) -> str:
    """The IBAN without spaces, if it is one: known country, its length, right check digits."""
    iban = _compact(text)
    if not _IBAN_CHARACTERS.fullmatch(iban):
        raise ValueError("an IBAN is two letters, two check digits and the account (letters and digits only)")
    country = iban[:2]
    if country not in IBAN_LENGTHS:
        raise ValueError(f"{country} is no country that issues IBANs")
    if len(iban) != IBAN_LENGTHS[country]:
        raise ValueError(f"an IBAN of {country} has {IBAN_LENGTHS[country]} characters, this one {len(iban)}")
    if _mod97(iban) != 1:
        raise ValueError("the IBAN's check digits do not match: a character is mistyped")
    return iban


def _mod97(iban: str) -> int:
    """ISO 13616: the first four characters moved to the end, letters as 10..35, modulo 97."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(character, 36)) for character in rearranged)) % 97


def normalised_bic(text: str) -> str:
    bic = _compact(text)
    if not _BIC.fullmatch(bic):
        raise ValueError("a BIC has 8 or 11 characters: bank (4 letters), country (2 letters), place, branch")
    return bic


def tax_number_kind(number: str) -> TaxNumberKind:
    """Which number ``number`` (compacted) is, from its form; a form of neither is refused."""
    if _UST_IDNR.fullmatch(number):
        return "ust_idnr"
    digits = number.replace("/", "")
    if _STEUERNUMMER.fullmatch(number) and 10 <= len(digits) <= 13:
        return "steuernummer"
    if number.startswith("DE"):
        raise ValueError("a USt-IdNr is DE and 9 digits, e.g. DE123456789")
    raise ValueError("give the USt-IdNr (DE and 9 digits) or the Steuernummer (10 to 13 digits, e.g. 12/345/67890)")


def normalised_tax_number(text: str) -> str:
    number = _compact(text)
    tax_number_kind(number)
    return number


def checked_kind(number: str, given: TaxNumberKind | None) -> TaxNumberKind:
    """The kind of ``number``: as given, if its form agrees, or read from its form."""
    kind = tax_number_kind(number)
    if given is not None and given != kind:
        names = {"ust_idnr": "a USt-IdNr", "steuernummer": "a Steuernummer"}
        raise ValueError(f"{number} is {names[kind]}, not {names[given]}")
    return kind


def checked_profile(profile: MerchantProfile) -> MerchantProfile:
    """The profile as its events carry it: the tax number's kind filled in and agreeing with
    the number, the IBAN's check digits right. Profiles in the log are never checked again
    (a number valid when written stays readable); only what a merchant sends now is."""
    update: dict[str, object] = {}
    if profile.tax_number is None:
        if profile.tax_number_kind is not None:
            raise ValueError("a tax number kind without a tax number: give the number too, or neither")
    else:
        update["tax_number_kind"] = checked_kind(profile.tax_number, profile.tax_number_kind)
    if profile.bank_account is not None:
        account = profile.bank_account
        normalised_iban(account.iban)
        if account.bic is not None:
            normalised_bic(account.bic)
    return profile.model_copy(update=update) if update else profile


def bank_account(iban: str, account_holder: str, bic: str | None = None) -> BankAccount:
    """A bank account from what a merchant typed (spaces and small letters allowed)."""
    return BankAccount(
        iban=normalised_iban(iban),
        bic=None if bic is None or not bic.strip() else normalised_bic(bic),
        account_holder=account_holder,
    )
