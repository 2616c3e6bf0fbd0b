# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant's own offers: "snap, price, online" in one multipart request, and changes."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, Response, UploadFile, status

from catalog.api.deps import Caller, Container, Handlers, IdempotencyKey
from catalog.api.schemas import (
    VAT_DESCRIPTION,
    DetailsIn,
    FormVatPercent,
    OfferOut,
    Price,
    PriceIn,
    ServiceListingIn,
    StockAdjustmentIn,
    VatRateIn,
    WithdrawalIn,
    as_vat_percent,
    windows,
)
from catalog.domain.commands import (
    AddPhoto,
    AdjustStock,
    ChangeOfferDetails,
    ChangePrice,
    ChangeVatRate,
    ListProduct,
    ListService,
    WithdrawOffer,
)
from catalog.domain.money import parse_price
from catalog.domain.offer import OfferDetails, title_or_default
from downtown_events.runtime.photos import PhotoTooLarge
from downtown_events.text import MultiLine, SingleLine

router = APIRouter(prefix="/offers", tags=["offers"])

Photo = Annotated[UploadFile, File(description="A phone photo: JPEG, PNG, WebP or HEIC")]


async def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """Read at most ``max_bytes`` (+1 to notice more) so a huge upload is refused early."""
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoTooLarge(f"the photo is larger than {max_bytes // (1024 * 1024)} MB; send a smaller one")
    return data


@router.post("/products", status_code=status.HTTP_201_CREATED, response_model=OfferOut)
async def list_product(
    caller: Caller,
    handlers: Handlers,
    container: Container,
    response: Response,
    photo: Photo,
    price: Annotated[Price, Form()],
    title: Annotated[SingleLine, Form(max_length=120)] = "",
    description: Annotated[MultiLine, Form(max_length=4000)] = "",
    category: Annotated[SingleLine, Form(max_length=60)] = "",
    stock: Annotated[int | None, Form(ge=0, le=1_000_000)] = None,
    vat_percent: Annotated[FormVatPercent | None, Form(description=VAT_DESCRIPTION)] = None,
    idempotency_key: IdempotencyKey = None,
) -> OfferOut:
    """Snap, price, online: one photo and a price are enough; the rest is optional."""
    details = OfferDetails(title=title_or_default(title, photo.filename), description=description, category=category)
    price_cents = parse_price(price)
    async with container.photos.admit():  # the upload is read into memory only once admitted
        data = await read_upload(photo, container.settings.max_photo_bytes)
        offer, created = await handlers.list_product(
            caller, ListProduct(details, price_cents, data, stock, idempotency_key, as_vat_percent(vat_percent))
        )
    if not created:
        response.status_code = status.HTTP_200_OK
    return OfferOut.of(offer)


@router.post("/services", status_code=status.HTTP_201_CREATED, response_model=OfferOut)
async def list_service(
    body: ServiceListingIn,
    caller: Caller,
    handlers: Handlers,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OfferOut:
    """A bookable service: a duration and the weekly hours in which it can be booked; held
    in person, or by video (a video consultation)."""
    details = OfferDetails(body.title, body.description, body.category)
    command = ListService(
        details,
        parse_price(body.price),
        body.duration_minutes,
        windows(body.weekly_availability),
        idempotency_key,
        vat_percent=body.vat_percent,
        held=body.held,
    )
    offer, created = await handlers.list_service(caller, command)
    if not created:
        response.status_code = status.HTTP_200_OK
    return OfferOut.of(offer)


@router.get("/mine/{offer_id}", response_model=OfferOut)
async def my_offer(offer_id: UUID, caller: Caller, handlers: Handlers) -> OfferOut:
    """The offer as the merchant last changed it (the write side, always current)."""
    return OfferOut.of(await handlers.offer(caller, offer_id))


@router.put("/{offer_id}/price", response_model=OfferOut)
async def change_price(offer_id: UUID, body: PriceIn, caller: Caller, handlers: Handlers) -> OfferOut:
    return OfferOut.of(await handlers.change_price(caller, ChangePrice(offer_id, parse_price(body.price))))


@router.put("/{offer_id}/vat-rate", response_model=OfferOut)
async def change_vat_rate(offer_id: UUID, body: VatRateIn, caller: Caller, handlers: Handlers) -> OfferOut:
    """The VAT rate the offer's price includes from now on (orders placed before keep theirs)."""
    return OfferOut.of(await handlers.change_vat_rate(caller, ChangeVatRate(offer_id, body.vat_percent)))


@router.put("/{offer_id}/details", response_model=OfferOut)
async def change_details(offer_id: UUID, body: DetailsIn, caller: Caller, handlers: Handlers) -> OfferOut:
    details = OfferDetails(body.title, body.description, body.category)
    return OfferOut.of(await handlers.change_offer_details(caller, ChangeOfferDetails(offer_id, details)))


@router.post("/{offer_id}/photos", response_model=OfferOut)
async def add_photo(offer_id: UUID, photo: Photo, caller: Caller, handlers: Handlers, container: Container) -> OfferOut:
    async with container.photos.admit():
        data = await read_upload(photo, container.settings.max_photo_bytes)
        return OfferOut.of(await handlers.add_photo(caller, AddPhoto(offer_id, data)))


@router.post("/{offer_id}/stock-adjustments", response_model=OfferOut)
async def adjust_stock(offer_id: UUID, body: StockAdjustmentIn, caller: Caller, handlers: Handlers) -> OfferOut:
    return OfferOut.of(await handlers.adjust_stock(caller, AdjustStock(offer_id, body.delta, body.reason)))


@router.post("/{offer_id}/withdrawal", response_model=OfferOut)
async def withdraw_offer(offer_id: UUID, body: WithdrawalIn, caller: Caller, handlers: Handlers) -> OfferOut:
    return OfferOut.of(await handlers.withdraw_offer(caller, WithdrawOffer(offer_id, body.reason)))
