# SPDX-License-Identifier: AGPL-3.0-or-later
"""Seed one town's vouchers through the vouchers' (and the catalog's) HTTP APIs: a town voucher
programme the seeded merchants accept, one merchant's own vouchers, a bonus campaign, and a
few vouchers sold — paid by the provider's signed callback (one of them partly redeemed),
paid by a bank transfer the association confirms, and one still waiting for its money.

    .downtown/venv/bin/python -P deploy/local/seed/vouchers.py --town schoeppingen \\
        --api http://127.0.0.1:18102 --catalog-api http://127.0.0.1:18101

``make run`` runs it for every town after the catalog's seed (see deploy/local/services.sh),
giving the APIs as ``DOWNTOWN_VOUCHERS_API`` and ``DOWNTOWN_CATALOG_API``.

The merchants are the catalog seed's: their ids and tokens are in
``.downtown/towns/<town>.seed-tokens.json``, which deploy/local/seed/catalog.py keeps. They
reach the vouchers service through Kafka, so a call about a merchant the service has not
heard of yet (503) is repeated until it has.

The provider's callback is signed with the town's webhook secret (``--webhook-secret``, by
default ``DOWNTOWN_PAYMENT_WEBHOOK_SECRET``, else the ``vouchers__DOWNTOWN_PAYMENT_WEBHOOK_SECRET``
line of ``.downtown/towns/<town>.secrets.env``, where services.sh keeps it).

Idempotent: every creating POST carries an Idempotency-Key derived from the town and a stable
name, so a second run creates nothing (the API answers 200, not 201) and pays, prints and
redeems nothing twice. What the API hands out only once — a purchase's access token, its
printable vouchers with their codes — is kept in ``.downtown/towns/<town>.seed-vouchers.json``
and the PDFs in ``.downtown/towns/<town>.seed-vouchers/`` (owner only; the codes are money).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from downtown_events.money import format_money

ROOT = Path(__file__).resolve().parents[3]
TOWNS_DIR = ROOT / ".downtown" / "towns"
TIMEZONE = ZoneInfo("Europe/Berlin")
WAIT_FOR_KAFKA_SECONDS = 90.0  # a merchant or a code reaches vouchers a moment after it exists
CODE_PATTERN = re.compile(r"\b[2-9A-HJ-NP-Z]{4}(?:-[2-9A-HJ-NP-Z]{4}){4}\b")

# --- what is sold -----------------------------------------------------------------------

DENOMINATIONS_CENTS = [1000, 2500, 5000]
FREE_AMOUNT = {"min_cents": 500, "max_cents": 20000}
MERCHANT_DENOMINATIONS_CENTS = [1500, 3000, 5000]
CAMPAIGN: dict[str, Any] = {
    "name": "Heimat shoppen: 20 % obendrauf",
    "bonus_percent": 20,
    "budget_cents": 100_000,
    "per_buyer_cap_cents": 5_000,
}
CAMPAIGN_DAYS = 91  # about three months from the first run
TOWN_PROGRAMME_NAMES = {"schoeppingen": "Schöppinger Stadtgutschein", "muenster": "Münsteraner Stadtgutschein"}
MERCHANT_PROGRAMME_NAMES = {"Bücher": "Büchergutschein", "Wein & Spirituosen": "Weingutschein"}


@dataclass(frozen=True)
class Sale:
    slug: str
    email: str
    programme: str  # "town" or "merchant" (the merchant programme's)
    amount_cents: int
    payment: str  # "provider", "bank_transfer" or "pending"
    gift: dict[str, str] | None = None
    redeem_cents: int = 0  # a part spent at a member shop right after it is paid


SALES = [
    Sale(
        "anna",
        "anna.becker@example.de",
        "town",
        5000,
        "provider",
        redeem_cents=1850,
    ),
    Sale(
        "bernd",
        "bernd.hoffmann@example.de",
        "town",
        2500,
        "bank_transfer",
        gift={
            "recipient_name": "Oma Hilde",
            "message": "Alles Gute zum Geburtstag!\nSuch dir etwas Schönes aus – bei einem Laden bei dir um die Ecke.",
        },
    ),
    Sale(
        "clara",
        "clara.schulz@example.de",
        "merchant",
        3000,
        "provider",
        gift={"recipient_name": "Jonas", "message": "Viel Spaß beim Stöbern!"},
    ),
    Sale("david", "david.mueller@example.de", "town", 1000, "pending"),
]


# --- the APIs ---------------------------------------------------------------------------


class SeedError(Exception):
    pass


def idempotency_key(town_id: str, *names: str) -> str:
    return ":".join(("seed", town_id, *(slug(name) for name in names)))


def slug(text: str) -> str:
    folded = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:60] or "x"


def detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text


def call(
    client: httpx.Client,
    method: str,
    path: str,
    *,
    wait_on: tuple[int, ...] = (503,),
    ok: tuple[int, ...] = (),
    seconds: float = WAIT_FOR_KAFKA_SECONDS,
    **kwargs: Any,
) -> httpx.Response:
    """One request, repeated on a connection failure and, for up to ``seconds``, while it
    answers a status of ``wait_on`` (503: a merchant vouchers has not heard of yet). Safe: every
    creating call carries an idempotency key. An error not in ``ok`` is a :class:`SeedError`."""
    deadline = time.monotonic() + seconds
    failures = 0
    while True:
        try:
            response = client.request(method, path, **kwargs)
        except httpx.TransportError as error:
            failures += 1
            if failures == 4:
                raise SeedError(f"{method} {path}: {error!r} — is the API running at {client.base_url}?") from error
            time.sleep(failures)
            continue
        if response.status_code not in wait_on or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if response.is_error and response.status_code not in ok:
        raise SeedError(f"{method} {client.base_url}{path} answered {response.status_code}: {detail(response)}")
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- what the seed keeps between runs ---------------------------------------------------


class Kept:
    """What the API hands out once (access tokens, codes) and the campaign's end, kept in
    ``.downtown/towns/<town>.seed-vouchers.json`` (owner only) so a second run can replay."""

    def __init__(self, town_id: str) -> None:
        self.path = TOWNS_DIR / f"{town_id}.seed-vouchers.json"
        self.pdfs = TOWNS_DIR / f"{town_id}.seed-vouchers"
        self.data: dict[str, Any] = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.data.setdefault("sales", {})

    def sale(self, name: str) -> dict[str, Any]:
        sales: dict[str, dict[str, Any]] = self.data["sales"]
        return sales.setdefault(name, {})

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch(mode=0o600)
        self.path.write_text(json.dumps(self.data, indent=1, ensure_ascii=False))

    def save_pdf(self, name: str, pdf: bytes) -> Path:
        self.pdfs.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.pdfs / f"{name}.pdf"
        path.touch(mode=0o600)
        path.write_bytes(pdf)
        return path


def town_name(town_id: str) -> str:
    """The town's name as people write it, from deploy/local/towns/<town>.env."""
    env = ROOT / "deploy" / "local" / "towns" / f"{town_id}.env"
    if env.exists():
        for line in env.read_text(encoding="utf-8").splitlines():
            if line.startswith("DOWNTOWN_TOWN_NAME="):
                return line.split("=", 1)[1].strip()
    return town_id.replace("-", " ").replace("_", " ").title()


def webhook_secret_from_file(town_id: str) -> str | None:
    path = TOWNS_DIR / f"{town_id}.secrets.env"
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("vouchers__DOWNTOWN_PAYMENT_WEBHOOK_SECRET="):
            return line.split("=", 1)[1].strip()
    return None


# --- merchants (the catalog seed's) -----------------------------------------------------


@dataclass
class Merchant:
    merchant_id: str
    name: str
    category: str
    sells_vouchers: bool
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.token)


def seeded_merchants(catalog: httpx.Client, town_id: str, association_token: str) -> list[Merchant]:
    """The merchants deploy/local/seed/catalog.py registered, with working tokens."""
    path = TOWNS_DIR / f"{town_id}.seed-tokens.json"
    if not path.exists():
        raise SeedError(f"{path.relative_to(ROOT)} is missing: run the catalog's seed first")
    tokens: dict[str, str] = json.loads(path.read_text())
    merchants, renewed = [], False
    for merchant_id, token in tokens.items():
        response = call(catalog, "GET", "/merchants/me", headers=bearer(token), ok=(401,))
        if response.status_code == 401:  # replaced since: the association hands out a new one
            token = call(catalog, "POST", f"/merchants/{merchant_id}/tokens", headers=bearer(association_token)).json()[
                "token"
            ]
            tokens[merchant_id], renewed = token, True
            response = call(catalog, "GET", "/merchants/me", headers=bearer(token))
        profile = response.json()["profile"]
        merchants.append(
            Merchant(merchant_id, profile["name"], profile["category"], bool(profile.get("sells_vouchers")), token)
        )
    if renewed:
        path.write_text(json.dumps(tokens, indent=1))
    return merchants


def known_to_vouchers(vouchers: httpx.Client, merchant: Merchant) -> None:
    """Wait until vouchers takes the merchant's token (the catalog's news comes through Kafka)."""
    call(vouchers, "GET", "/liability", headers=merchant.auth, wait_on=(401, 503))


def merchant_programme_owner(members: list[Merchant]) -> Merchant:
    """The bookshop, else the wine merchant, else the first merchant that sells vouchers."""
    for category in ("Bücher", "Wein & Spirituosen"):
        for merchant in members:
            if merchant.category == category:
                return merchant
    return members[0]


# --- the seed -----------------------------------------------------------------------------


def created(response: httpx.Response) -> str:
    return "new" if response.status_code == 201 else "exists"


def campaign_ends_at(kept: Kept) -> str:
    """The end of the day about three months after the first run, in the town's time; kept,
    since the campaign's Idempotency-Key must come with the same request every run."""
    if "campaign_ends_at" not in kept.data:
        day = datetime.now(TIMEZONE).date() + timedelta(days=CAMPAIGN_DAYS)
        kept.data["campaign_ends_at"] = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=TIMEZONE).isoformat()
        kept.save()
    return str(kept.data["campaign_ends_at"])


def sign(secret: str, body: bytes) -> str:
    from vouchers.adapters.payment_webhook import sign as provider_signature

    return provider_signature(secret, int(time.time()), body)


def code_in(pdf: bytes) -> str | None:
    """The voucher code printed on the PDF's first page, read back as text."""
    import pypdfium2

    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    text = document[0].get_textpage().get_text_range()
    found = CODE_PATTERN.search(text)
    return found.group(0) if found else None


def paid_how(sale: Sale, purchase: dict[str, Any]) -> str:
    if purchase["status"] == "expired":
        return "expired unpaid"
    if purchase["status"] == "pending":
        return f"pending, to be paid by {datetime.fromisoformat(purchase['pay_by']).strftime('%d.%m.%Y %H:%M')} UTC"
    return "paid by bank transfer (confirmed by the association)" if sale.payment == "bank_transfer" else "paid online"


class Seeder:
    def __init__(
        self,
        town_id: str,
        vouchers: httpx.Client,
        catalog: httpx.Client,
        association_token: str,
        webhook_secret: str | None,
    ) -> None:
        self.town_id = town_id
        self.town_name = town_name(town_id)
        self.vouchers = vouchers
        self.catalog = catalog
        self.association = bearer(association_token)
        self.association_token = association_token
        self.webhook_secret = webhook_secret
        self.kept = Kept(town_id)
        self.new = 0
        self.names: dict[str, str] = {}  # programme id -> what it is called, for the progress lines

    def key(self, *names: str) -> dict[str, str]:
        return {"Idempotency-Key": idempotency_key(self.town_id, *names)}

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str], **options: Any) -> httpx.Response:
        response = call(self.vouchers, "POST", path, json=body, headers=headers, **options)
        self.new += response.status_code == 201
        return response

    def run(self) -> None:
        merchants = seeded_merchants(self.catalog, self.town_id, self.association_token)
        members = [merchant for merchant in merchants if merchant.sells_vouchers] or merchants
        if not members:
            raise SeedError("the catalog seed registered no merchants")
        owner = merchant_programme_owner(members)
        print(
            f"seeding {self.town_id} vouchers: a town programme accepted by {len(members)} merchants, "
            f"{owner.name}'s own vouchers, a campaign, {len(SALES)} purchases",
            flush=True,
        )
        for merchant in members:
            self.approve(merchant)
            known_to_vouchers(self.vouchers, merchant)
        town_programme = self.town_programme(members)
        campaign_started = self.campaign(town_programme)
        own_programme = self.merchant_programme(owner)
        if campaign_started:
            self.wait_until_listed(own_programme)
        programmes = {"town": town_programme, "merchant": own_programme}
        redeemer = next((m for m in members if m is not owner), owner)
        for sale in SALES:
            self.sell(sale, programmes[sale.programme], redeemer)
        print(
            f"seeded {self.town_id} ({self.town_name}) vouchers: {self.new} new — try "
            f"{self.vouchers.base_url}/programmes; printed vouchers in {self.kept.pdfs.relative_to(ROOT)}/",
            flush=True,
        )

    def approve(self, merchant: Merchant) -> None:
        """Only a merchant the association approved sells or takes vouchers. The catalog's seed
        approves those that sell vouchers; asking again changes nothing, and covers a town
        whose shops sell none (all of them are members then)."""
        call(self.catalog, "POST", f"/merchants/{merchant.merchant_id}/approval", headers=self.association)

    def town_programme(self, members: list[Merchant]) -> str:
        name = TOWN_PROGRAMME_NAMES.get(self.town_id, f"Stadtgutschein {self.town_name}")
        body = {
            "kind": "town",
            "name": name,
            "denominations_cents": DENOMINATIONS_CENTS,
            "free_amount": FREE_AMOUNT,
        }
        response = self.post("/programmes", body, {**self.association, **self.key("programme", "town")})
        programme_id = str(response.json()["programme_id"])
        self.names[programme_id] = name
        for merchant in members:  # each merchant opts in itself; joining again changes nothing
            # 403 while vouchers has not heard of the approval yet (it comes through Kafka).
            path = f"/programmes/{programme_id}/members"
            call(self.vouchers, "POST", path, json={}, headers=merchant.auth, wait_on=(403, 503))
        denominations = ", ".join(format_money(cents, "de") for cents in DENOMINATIONS_CENTS)
        print(
            f"  {name} ({created(response)}): {denominations} or "
            f"{format_money(FREE_AMOUNT['min_cents'], 'de')}–{format_money(FREE_AMOUNT['max_cents'], 'de')}, "
            "accepted by " + ", ".join(merchant.name for merchant in members),
            flush=True,
        )
        return programme_id

    def merchant_programme(self, owner: Merchant) -> str:
        name = MERCHANT_PROGRAMME_NAMES.get(owner.category, "Geschenkgutschein")
        body = {"kind": "merchant", "name": name, "denominations_cents": MERCHANT_DENOMINATIONS_CENTS}
        response = self.post("/programmes", body, {**owner.auth, **self.key("programme", owner.name)})
        denominations = ", ".join(format_money(cents, "de") for cents in MERCHANT_DENOMINATIONS_CENTS)
        print(f"  {name} of {owner.name} ({created(response)}): {denominations}, only there", flush=True)
        programme_id = str(response.json()["programme_id"])
        self.names[programme_id] = f"{name} of {owner.name}"
        return programme_id

    def campaign(self, programme_id: str) -> bool:
        """Start the town's bonus campaign; True if it started now."""
        ends_at = campaign_ends_at(self.kept)
        body = {**CAMPAIGN, "programme_id": programme_id, "ends_at": ends_at}
        headers = {**self.association, **self.key("campaign", str(CAMPAIGN["name"]))}
        response = self.post("/campaigns", body, headers, ok=(422,))
        if response.status_code == 422 and "already used" in detail(response):
            # Started by an earlier run whose record of the end date is lost: it runs as it is.
            print(f"  campaign {CAMPAIGN['name']!r} (exists; started by an earlier run, left as it is)", flush=True)
            return False
        if response.is_error:
            raise SeedError(f"POST /campaigns answered {response.status_code}: {detail(response)}")
        campaign = response.json()
        until = datetime.fromisoformat(ends_at).strftime("%d.%m.%Y")
        print(
            f"  campaign {campaign['name']!r} ({created(response)}): "
            f"{campaign['bonus_percent']} % bonus until {until}, "
            f"budget {format_money(campaign['budget_cents'], 'de')} "
            f"({format_money(campaign['remaining_cents'], 'de')} left), "
            f"at most {format_money(campaign['per_buyer_cap_cents'], 'de')} per buyer",
            flush=True,
        )
        return response.status_code == 201

    def wait_until_listed(self, programme_id: str) -> None:
        """A payment finds its campaign in a read model fed through Kafka: one paid the instant
        a campaign starts may get no bonus. No API shows that read model, so wait until the same
        projection lists the programme opened after the campaign, and a moment."""
        deadline = time.monotonic() + WAIT_FOR_KAFKA_SECONDS
        while programme_id not in self.listed_programmes():
            if time.monotonic() > deadline:
                raise SeedError(f"programme {programme_id} not listed after {WAIT_FOR_KAFKA_SECONDS:.0f} s")
            time.sleep(0.2)
        time.sleep(1.0)

    def listed_programmes(self) -> set[str]:
        """Every programme ``GET /programmes`` lists, page by page (``Link: rel="next"``)."""
        listed: set[str] = set()
        url: str | None = "/programmes?limit=200"
        while url is not None:
            page = call(self.vouchers, "GET", url)
            listed |= {str(programme["programme_id"]) for programme in page.json()}
            url = page.links.get("next", {}).get("url")
        return listed

    def sell(self, sale: Sale, programme_id: str, redeemer: Merchant) -> None:
        kept = self.kept.sale(sale.slug)
        item: dict[str, Any] = {"programme_id": programme_id, "amount_cents": sale.amount_cents}
        if sale.gift:
            item["gift"] = sale.gift
        body = {"email": sale.email, "vouchers": [item]}
        started = self.post("/purchases", body, self.key("purchase", sale.slug))
        purchase = started.json()["purchase"]
        if started.json()["access_token"]:  # handed out once: keep it before anything else can fail
            kept.update(purchase_id=purchase["purchase_id"], access_token=started.json()["access_token"])
            self.kept.save()
        purchase = self.pay(sale, purchase)
        value = format_money(purchase["total_cents"], "de")
        if purchase["bonus_cents"]:
            value += f" + {format_money(purchase['bonus_cents'], 'de')} bonus"
        notes = [value, paid_how(sale, purchase)]
        if purchase["status"] == "paid":
            notes += self.print_and_spend(sale, purchase, kept, redeemer)
        where = self.names[programme_id]
        print(f"  {sale.email} ({created(started)}): {where}, " + ", ".join(notes), flush=True)

    def pay(self, sale: Sale, purchase: dict[str, Any]) -> dict[str, Any]:
        if sale.payment == "pending" or purchase["status"] != "pending":
            return purchase
        reference = f"SEED-{self.town_id.upper()}-{sale.slug.upper()}"  # a retried payment names the same one
        if sale.payment == "bank_transfer":
            body = {"method": "bank_transfer", "reference": reference, "amount_cents": purchase["total_cents"]}
            path = f"/purchases/{purchase['purchase_id']}/payments"
            return dict(call(self.vouchers, "POST", path, json=body, headers=self.association).json())
        if not self.webhook_secret:
            raise SeedError("no payment webhook secret: set DOWNTOWN_PAYMENT_WEBHOOK_SECRET or pass --webhook-secret")
        payload = {
            "purchase_id": purchase["purchase_id"],
            "reference": reference,
            "amount_cents": purchase["total_cents"],
        }
        signed = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Downtown-Signature": sign(self.webhook_secret, signed)}
        return dict(call(self.vouchers, "POST", "/payments/provider", content=signed, headers=headers).json())

    def print_and_spend(
        self, sale: Sale, purchase: dict[str, Any], kept: dict[str, Any], redeemer: Merchant
    ) -> list[str]:
        notes = []
        if "code" not in kept and kept.get("access_token"):
            path = f"/purchases/{purchase['purchase_id']}/vouchers.pdf"
            response = call(self.vouchers, "GET", path, headers=bearer(kept["access_token"]), ok=(410,))
            if response.status_code == 200:  # shown once: keep the document and its code
                kept["pdf"] = str(self.kept.save_pdf(sale.slug, response.content).relative_to(ROOT))
                kept["code"] = code_in(response.content)
                self.kept.save()
        if "pdf" in kept:
            notes.append(f"printed {kept['pdf']}")
        if not sale.redeem_cents:
            return notes
        if not kept.get("code"):
            return [*notes, "not redeemed (its code was shown once, to an earlier run whose record is lost)"]
        body = {"code": kept["code"], "amount_cents": sale.redeem_cents}
        headers = {**redeemer.auth, **self.key("redemption", sale.slug)}
        # 404: the code lookup is a read model and learns a new code a moment after the payment.
        # Each try counts against the merchant's redemption limit (120 a minute): wait at most 45 s.
        redeemed = self.post("/redemptions", body, headers, wait_on=(404, 503), seconds=45).json()
        return [
            *notes,
            f"{format_money(redeemed['amount_cents'], 'de')} redeemed at {redeemer.name} "
            f"(balance {format_money(redeemed['voucher_balance_cents'], 'de')})",
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--town", required=True, help="town id, e.g. schoeppingen or muenster")
    parser.add_argument(
        "--api",
        default=os.environ.get("DOWNTOWN_VOUCHERS_API"),
        help="the town's vouchers API, e.g. http://127.0.0.1:18102 (default: $DOWNTOWN_VOUCHERS_API)",
    )
    parser.add_argument(
        "--catalog-api",
        default=os.environ.get("DOWNTOWN_CATALOG_API"),
        help="the town's catalog API, e.g. http://127.0.0.1:18101 (default: $DOWNTOWN_CATALOG_API)",
    )
    parser.add_argument(
        "--association-token",
        default=os.environ.get("DOWNTOWN_ASSOCIATION_TOKEN"),
        help="the town's association token (default: $DOWNTOWN_ASSOCIATION_TOKEN)",
    )
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("DOWNTOWN_PAYMENT_WEBHOOK_SECRET"),
        help="the payment provider's signing secret (default: $DOWNTOWN_PAYMENT_WEBHOOK_SECRET, "
        "else the town's .downtown/towns/<town>.secrets.env)",
    )
    args = parser.parse_args(argv)
    for option, name in (("api", "DOWNTOWN_VOUCHERS_API"), ("catalog_api", "DOWNTOWN_CATALOG_API")):
        if not getattr(args, option):
            parser.error(f"give --{option.replace('_', '-')} or set {name}")
    if not args.association_token:
        parser.error("give --association-token or set DOWNTOWN_ASSOCIATION_TOKEN")
    secret = args.webhook_secret or webhook_secret_from_file(args.town)
    try:
        with (
            httpx.Client(base_url=args.api.rstrip("/"), timeout=60) as vouchers,
            httpx.Client(base_url=args.catalog_api.rstrip("/"), timeout=60) as catalog,
        ):
            Seeder(args.town, vouchers, catalog, args.association_token, secret).run()
    except SeedError as error:
        print(f"seeding {args.town} vouchers failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
