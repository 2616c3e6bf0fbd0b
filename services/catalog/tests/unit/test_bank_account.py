# SPDX-License-Identifier: AGPL-3.0-or-later
"""The bank account a merchant's invoices ask customers to pay into: an IBAN checked as banks
check it (its country's length, the mod-97 check digits), an optional BIC, the holder."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from catalog.api.schemas import MerchantOut, ProfileIn
from catalog.app.handlers import CatalogHandlers
from catalog.domain import merchant as merchants
from catalog.domain.commands import ChangeProfile, RegisterMerchant
from catalog.domain.errors import InvalidChange
from catalog.domain.payment_details import normalised_bic, normalised_iban
from downtown_events.catalog import BankAccount, MerchantProfileChanged
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.principal import Principal

BODY: dict[str, Any] = {
    "name": "Buchhandlung am Markt",
    "category": "Bücher",
    "address": {"street": "Am Markt 5", "postal_code": "48624", "city": "Schöppingen"},
    "phone": "+49 2555 7731",
    "email": "buch@example.de",
}
IBAN = "DE89370400440532013000"  # the standard example IBAN, whose check digits are right


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("DE89 3704 0044 0532 0130 00", IBAN),
        ("de89370400440532013000", IBAN),
        ("DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000", IBAN),
        ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
        ("NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"),
        ("AT61 1904 3002 3457 3201", "AT611904300234573201"),
    ],
)
def test_an_iban_is_kept_without_spaces_in_capitals(written: str, kept: str) -> None:
    assert normalised_iban(written) == kept


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("DE88 3704 0044 0532 0130 00", "check digits do not match"),  # one check digit off
        ("DE89 3704 0044 0532 0130 01", "check digits do not match"),  # one account digit off
        ("DE89 3704 0044 0532 0310 00", "check digits do not match"),  # two digits swapped
        ("DE89 3704 0044 0532 0130 0", "DE has 22 characters, this one 21"),
        ("DE89 3704 0044 0532 0130 000", "DE has 22 characters, this one 23"),
        ("ZZ89 3704 0044 0532 0130 00", "ZZ is no country"),
        ("DE89-3704-0044-0532-0130-00", "letters and digits only"),
        ("8937 0400 4405 3201 3000", "two letters, two check digits"),
    ],
)
def test_a_mistyped_iban_is_refused_with_the_reason(written: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalised_iban(written)


def test_a_bic_has_8_or_11_characters() -> None:
    assert normalised_bic("cobadeff xxx") == "COBADEFFXXX"
    assert normalised_bic("COBADEFF") == "COBADEFF"
    for wrong in ("COBADEF", "COBADEFFXX", "C0BADEFF", "COBADEFFXXXX"):
        with pytest.raises(ValueError, match="8 or 11"):
            normalised_bic(wrong)


def test_the_profile_takes_the_account_as_typed_and_shows_the_iban_grouped_by_four() -> None:
    account = {"iban": "de89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "account_holder": "Inh. A. Wessels"}
    profile = ProfileIn.model_validate({**BODY, "bank_account": account}).to_profile()
    assert profile.bank_account == BankAccount(iban=IBAN, bic="COBADEFFXXX", account_holder="Inh. A. Wessels")
    assert profile.bank_account.grouped_iban == "DE89 3704 0044 0532 0130 00"


def test_without_a_holder_the_account_is_the_merchants_and_a_bic_is_optional() -> None:
    profile = ProfileIn.model_validate({**BODY, "bank_account": {"iban": IBAN, "bic": " "}}).to_profile()
    assert profile.bank_account == BankAccount(iban=IBAN, bic=None, account_holder="Buchhandlung am Markt")


def test_a_long_merchant_name_as_the_holder_is_cut_to_a_sepa_names_70_characters() -> None:
    long_name = "Buchhandlung und Antiquariat am Markt, Papeterie, Schreibwaren und Bürobedarf Schöppingen"
    profile = ProfileIn.model_validate({**BODY, "name": long_name, "bank_account": {"iban": IBAN}}).to_profile()
    assert profile.bank_account is not None and profile.bank_account.account_holder == long_name[:70].strip()


@pytest.mark.parametrize(
    ("account", "field"),
    [
        ({"iban": "DE88370400440532013000"}, "iban"),
        ({"iban": IBAN, "bic": "COBADE"}, "bic"),
        ({"iban": IBAN, "account_holder": "A.\nWessels"}, "account_holder"),
        ({"iban": IBAN, "account_holder": "A. Wessels\x00"}, "account_holder"),
        ({"iban": IBAN, "unknown": 1}, "unknown"),
    ],
)
def test_a_wrong_account_is_refused_naming_the_field(account: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        ProfileIn.model_validate({**BODY, "bank_account": account})


def test_the_domain_refuses_a_wrong_iban_whoever_calls_it() -> None:
    profile = ProfileIn.model_validate(BODY).to_profile()
    wrong = profile.model_copy(
        update={"bank_account": BankAccount(iban="DE88370400440532013000", account_holder="Wessels")}
    )
    with pytest.raises(InvalidChange, match="check digits"):
        merchants.register(None, uuid4(), wrong, [])


async def test_a_profile_change_records_the_account_and_the_merchant_sees_it_grouped() -> None:
    store = InMemoryEventStore()
    handlers = CatalogHandlers(store, photos=None)  # type: ignore[arg-type]  # no photos here
    merchant, _ = await handlers.register_merchant(RegisterMerchant(ProfileIn.model_validate(BODY).to_profile()))
    assert MerchantOut.of(merchant).iban_grouped is None

    changed = ProfileIn.model_validate({**BODY, "bank_account": {"iban": IBAN}}).to_profile()
    caller = Principal(role="merchant", subject=merchant.merchant_id)
    after = await handlers.change_profile(caller, ChangeProfile(changed))
    assert MerchantOut.of(after).iban_grouped == "DE89 3704 0044 0532 0130 00"
    last = (await store.read(str(merchant.merchant_id)))[-1].event
    assert isinstance(last, MerchantProfileChanged) and last.profile.bank_account is not None
    assert last.profile.bank_account.iban == IBAN
