# SPDX-License-Identifier: AGPL-3.0-or-later
"""What an attacker or a careless client tried against the running catalog, kept found.

Each test is one defect of the security review (issue "Catalog under attack"), driven over
HTTP against real API and worker processes with Kafka and PostgreSQL between them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
from photo_samples import sample_photo

from tests.support.catalog_client import REGISTRATION, list_product, register, search
from tests.support.local_stack import ServiceInstance
from tests.support.polling import wait_until


def association(catalog: ServiceInstance) -> dict[str, str]:
    return {"Authorization": f"Bearer {catalog.association_token}"}


def photo_files(catalog: ServiceInstance) -> set[Path]:
    return {path for path in (catalog.logs / "photos").rglob("*") if path.is_file()}


def test_a_replayed_registration_never_hands_out_the_merchants_token(catalog: ServiceInstance) -> None:
    key = f"register-{uuid.uuid4()}"
    body = {**REGISTRATION, "name": "Uhrmacher Brinkmann"}
    first = httpx.post(f"{catalog.api}/merchants", json=body, headers={"Idempotency-Key": key})
    replay = httpx.post(f"{catalog.api}/merchants", json=body, headers={"Idempotency-Key": key})
    takeover = httpx.post(
        f"{catalog.api}/merchants", json={**body, "email": "attacker@example.org"}, headers={"Idempotency-Key": key}
    )

    assert first.status_code == 201 and first.json()["token"]
    assert replay.status_code == 200 and replay.json()["token"] is None
    assert replay.json()["merchant"]["merchant_id"] == first.json()["merchant"]["merchant_id"]
    assert takeover.status_code == 422 and "Idempotency-Key" in takeover.json()["detail"]
    assert "token" not in takeover.text.replace("Idempotency-Key", "")


def test_the_association_replaces_a_lost_token_and_nobody_else_can(catalog: ServiceInstance) -> None:
    merchant_id, auth = register(catalog, name="Vergesslich & Söhne")
    by_merchant = httpx.post(f"{catalog.api}/merchants/{merchant_id}/tokens", headers=auth)
    anonymous = httpx.post(f"{catalog.api}/merchants/{merchant_id}/tokens")
    issued = httpx.post(f"{catalog.api}/merchants/{merchant_id}/tokens", headers=association(catalog))

    assert (by_merchant.status_code, anonymous.status_code, issued.status_code) == (403, 401, 201)
    me = httpx.get(f"{catalog.api}/merchants/me", headers={"Authorization": f"Bearer {issued.json()['token']}"})
    assert me.status_code == 200 and me.json()["merchant_id"] == merchant_id


def test_a_listing_key_reused_for_another_photo_is_refused_and_leaves_no_file(catalog: ServiceInstance) -> None:
    _, auth = register(catalog, name="Fotostudio Licht")
    key = f"listing-{uuid.uuid4()}"
    assert list_product(catalog, auth, "Porträt", key=key).status_code == 201
    before = photo_files(catalog)

    other_photo = list_product(catalog, auth, "Porträt", key=key, photo=sample_photo("png", text="anders"))

    assert other_photo.status_code == 422 and "Idempotency-Key" in other_photo.json()["detail"]
    assert photo_files(catalog) == before


def test_opening_hours_with_a_time_zone_are_refused(catalog: ServiceInstance) -> None:
    zoned = [{"weekday": 0, "opens": "00:00:00Z", "closes": "10:00"}]
    mixed = [{"weekday": 0, "opens": "08:00:00+02:00", "closes": "10:00"}]
    for hours in (zoned, mixed):
        response = httpx.post(f"{catalog.api}/merchants", json={**REGISTRATION, "opening_hours": hours})
        assert response.status_code == 422, response.text
        assert "time zone" in response.json()["detail"]


def test_zoned_hours_already_in_the_read_model_do_not_take_the_directory_down(catalog: ServiceInstance) -> None:
    """A town that accepted "00:00:00Z" before the fix still holds it in its read model."""
    merchant_id, _ = register(catalog, name="Nachtcafé Eule")
    assert wait_until(lambda: httpx.get(f"{catalog.api}/directory/{merchant_id}").status_code == 200)
    with psycopg.connect(catalog.env["DOWNTOWN_DATABASE_URL"], autocommit=True) as conn:
        conn.execute(
            "UPDATE directory_merchants SET opening_hours = %s::jsonb WHERE merchant_id = %s",
            ('[{"weekday": 0, "opens": "00:00:00Z", "closes": "23:00:00"}]', merchant_id),
        )

    listing = httpx.get(f"{catalog.api}/directory")
    entry = httpx.get(f"{catalog.api}/directory/{merchant_id}")

    assert listing.status_code == 200 and merchant_id in {m["merchant_id"] for m in listing.json()}
    assert entry.status_code == 200


def chunked(total: int, prefix: bytes = b"", piece: int = 64 * 1024) -> Iterator[bytes]:
    """A body sent with Transfer-Encoding: chunked (no Content-Length), ``total`` bytes long."""
    yield prefix
    sent = len(prefix)
    while sent < total:
        yield b"x" * piece
        sent += piece


def test_chunked_bodies_are_cut_off_at_the_limit_before_auth_or_parsing(catalog: ServiceInstance) -> None:
    photo_part = (
        b'--x\r\nContent-Disposition: form-data; name="photo"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    )
    upload = httpx.post(
        f"{catalog.api}/offers/products",
        content=chunked(60 * 1024 * 1024, photo_part),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        timeout=60,
    )
    json_body = httpx.post(
        f"{catalog.api}/merchants",
        content=chunked(36 * 1024 * 1024, b'{"name": "'),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert upload.status_code == 413 and upload.headers["content-type"] == "application/problem+json"
    assert json_body.status_code == 413 and "64 KB" in json_body.json()["detail"]


def test_nul_and_control_characters_are_a_422_not_a_500(catalog: ServiceInstance) -> None:
    _, auth = register(catalog, name="Kontrollfreak GmbH")
    nul_name = httpx.post(f"{catalog.api}/merchants", json={**REGISTRATION, "name": "Laden\u0000"})
    nul_street = httpx.post(
        f"{catalog.api}/merchants",
        json={**REGISTRATION, "address": {**REGISTRATION["address"], "street": "Markt\u00001"}},  # type: ignore[dict-item]
    )
    nul_query = httpx.get(f"{catalog.api}/catalog", params={"q": "wein\u0000"})
    nul_directory = httpx.get(f"{catalog.api}/directory", params={"category": "\u0000"})
    bidi_title = list_product(catalog, auth, "gpj\u202eexe.jpg")
    blank_title = httpx.post(
        f"{catalog.api}/offers/services",
        headers=auth,
        json={"title": "   ", "price": "5", "duration_minutes": 30, "weekly_availability": [REGISTRATION_HOURS]},
    )
    for response in (nul_name, nul_street, nul_query, nul_directory, bidi_title, blank_title):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"


REGISTRATION_HOURS = {"weekday": 1, "opens": "09:00", "closes": "12:00"}


def test_an_id_of_the_wrong_kind_is_a_404(catalog: ServiceInstance) -> None:
    merchant_id, auth = register(catalog, name="Verwechslung KG")
    offer_id = list_product(catalog, auth, "Original").json()["offer_id"]

    offer_route_with_merchant_id = httpx.put(
        f"{catalog.api}/offers/{merchant_id}/price", json={"price": "1"}, headers=auth
    )
    suspension_of_an_offer = httpx.post(
        f"{catalog.api}/merchants/{offer_id}/suspension", json={"reason": "x"}, headers=association(catalog)
    )
    token_for_an_offer = httpx.post(f"{catalog.api}/merchants/{offer_id}/tokens", headers=association(catalog))

    assert offer_route_with_merchant_id.status_code == 404
    assert suspension_of_an_offer.status_code == 404
    assert token_for_an_offer.status_code == 404


def test_prices_are_read_strictly(catalog: ServiceInstance) -> None:
    _, auth = register(catalog, name="Preisfehler & Co")
    spaced = list_product(catalog, auth, "Tippfehler", price="12 90")
    arabic = list_product(catalog, auth, "Fremde Ziffern", price="١٢")
    million = list_product(catalog, auth, "Zu teuer", price="1000000")
    grouped = list_product(catalog, auth, "Gruppiert", price="1.234,50")

    assert spaced.status_code == 422 and "space" in spaced.json()["detail"]
    assert arabic.status_code == 422 and "0-9" in arabic.json()["detail"]
    assert million.status_code == 422 and "below" in million.json()["detail"]
    assert grouped.status_code == 201 and grouped.json()["price_cents"] == 123450


def test_a_suspended_merchant_cannot_change_its_profile_hours_or_closure(catalog: ServiceInstance) -> None:
    merchant_id, auth = register(catalog, name="Gesperrt OHG")
    httpx.post(
        f"{catalog.api}/merchants/{merchant_id}/suspension", json={"reason": "Betrug"}, headers=association(catalog)
    )

    profile_body = {key: value for key, value in REGISTRATION.items() if key != "opening_hours"}
    profile = httpx.put(f"{catalog.api}/merchants/me/profile", json={**profile_body, "name": "Neu"}, headers=auth)
    hours = httpx.put(f"{catalog.api}/merchants/me/opening-hours", json={"opening_hours": []}, headers=auth)
    closure = httpx.post(f"{catalog.api}/merchants/me/closure", json={"note": "weg"}, headers=auth)

    assert (profile.status_code, hours.status_code, closure.status_code) == (403, 403, 403)


def test_a_customer_without_umlauts_finds_kaese(catalog: ServiceInstance) -> None:
    _, auth = register(catalog, name="Hofkäserei Lütke")
    assert list_product(catalog, auth, "Würziger Käse aus Heumilch").status_code == 201
    assert wait_until(lambda: search(catalog, q="Kaese Heumilch")["total"]) == 1
    assert search(catalog, q="Wuerziger")["total"] == 1


def test_a_method_a_route_does_not_take_gets_405_with_allow(catalog: ServiceInstance) -> None:
    response = httpx.patch(f"{catalog.api}/catalog")
    assert response.status_code == 405 and response.headers["allow"] == "GET"
    assert response.headers["content-type"] == "application/problem+json"


def test_a_replaced_token_stops_working_and_a_merchant_renews_its_own(catalog: ServiceInstance) -> None:
    merchant_id, lost = register(catalog, name="Schlüsseldienst Petersen")
    replaced = httpx.post(f"{catalog.api}/merchants/{merchant_id}/tokens", headers=association(catalog))
    new = {"Authorization": f"Bearer {replaced.json()['token']}"}

    old_answer = httpx.get(f"{catalog.api}/merchants/me", headers=lost)
    renewed = httpx.post(f"{catalog.api}/merchants/me/token", headers=new)

    assert old_answer.status_code == 401 and "replaced" in old_answer.json()["detail"]
    assert httpx.get(f"{catalog.api}/merchants/me", headers=new).status_code == 200
    assert renewed.status_code == 200
    renewed_auth = {"Authorization": f"Bearer {renewed.json()['token']}"}
    assert httpx.get(f"{catalog.api}/merchants/me", headers=renewed_auth).status_code == 200


def test_the_workers_port_serves_its_health_and_nothing_of_fausts(catalog: ServiceInstance) -> None:
    """faust's /router/ (the cluster's members) and /table/ (its tables) answered anyone who
    reached the worker's port, which is bound to every address for Kubernetes' probes."""
    for path in ("/router/", "/table/", "/graph/", "/stats/", "/", "/figures/live"):
        refused = httpx.get(f"{catalog.worker}{path}")
        assert refused.status_code == 404, (path, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert "this port serves" in refused.json()["detail"]
    assert httpx.get(f"{catalog.worker}/healthz/ready").status_code == 200
