# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant's phone photo becomes clean, resized JPEGs stored by content, or a clear rejection."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from photo_samples import (
    GPS_COMMENT,
    GPS_XMP,
    PhotoKind,
    decompression_bomb,
    marked_photo,
    not_an_image,
    sample_photo,
    truncated_jpeg,
)
from PIL import Image

from catalog.adapters.photos import VARIANTS, PhotoStore, ProcessedPhoto, process_photo
from downtown_events.runtime.photos import InvalidPhoto, PhotoRejected, PhotoTooLarge, PixelLimits, variant_size

RED, WHITE = (255, 0, 0), (255, 255, 255)


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _sizes(photo: ProcessedPhoto) -> dict[str, tuple[int, int]]:
    return {variant.name: (variant.width, variant.height) for variant, _ in photo.variants}


def _close(image: Image.Image, xy: tuple[int, int], colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    pixel = image.getpixel(xy)
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


@pytest.fixture(scope="module")
def phone_photo() -> ProcessedPhoto:
    return process_photo(sample_photo("jpeg", width=1200, height=900, gps=True, text="Sourdough"))


@pytest.mark.parametrize(
    ("kind", "size", "expected"),
    [
        ("jpeg", (2000, 1000), {"large": (1600, 800), "medium": (800, 400), "thumb": (320, 160)}),
        ("png", (2000, 1000), {"large": (1600, 800), "medium": (800, 400), "thumb": (320, 160)}),
        ("webp", (1000, 2000), {"large": (800, 1600), "medium": (400, 800), "thumb": (160, 320)}),
        ("mpo", (2000, 1000), {"large": (1600, 800), "medium": (800, 400), "thumb": (320, 160)}),
        # Encoding HEIC is slow, so a smaller one, which also shows "large" is not upscaled.
        ("heic", (1000, 500), {"large": (1000, 500), "medium": (800, 400), "thumb": (320, 160)}),
    ],
)
def test_each_accepted_format_yields_jpeg_variants_of_the_right_size(
    kind: PhotoKind, size: tuple[int, int], expected: dict[str, tuple[int, int]]
) -> None:
    photo = process_photo(sample_photo(kind, width=size[0], height=size[1]))

    assert _sizes(photo) == expected
    for variant, data in photo.variants:
        image = _open(data)
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (variant.width, variant.height))
        assert variant.content_type == "image/jpeg"


def test_a_small_photo_is_never_upscaled() -> None:
    photo = process_photo(sample_photo("jpeg", width=300, height=200))

    assert _sizes(photo) == {"large": (300, 200), "medium": (300, 200), "thumb": (300, 200)}


@pytest.mark.parametrize(
    ("size", "longest_edge", "expected"),
    [
        ((4032, 3024), 1600, (1600, 1200)),
        ((3024, 4032), 320, (240, 320)),
        ((5000, 7), 800, (800, 1)),
        ((640, 480), 800, (640, 480)),
    ],
)
def test_variant_size_keeps_the_aspect_ratio(
    size: tuple[int, int], longest_edge: int, expected: tuple[int, int]
) -> None:
    assert variant_size(size, longest_edge) == expected


def test_variants_are_largest_first_in_the_declared_order(phone_photo: ProcessedPhoto) -> None:
    assert [variant.name for variant, _ in phone_photo.variants] == list(VARIANTS)


@pytest.mark.parametrize("kind", ["jpeg", "png", "webp", "heic", "mpo"])
def test_gps_and_all_other_metadata_are_gone_from_every_variant(kind: PhotoKind) -> None:
    original = sample_photo(kind, width=400, height=300, gps=True)
    assert _open(original).getexif().get_ifd(0x8825), "the sample must carry GPS for this test to mean anything"

    for _, data in process_photo(original).variants:
        image = _open(data)
        assert not image.getexif()
        assert b"Exif" not in data
        assert GPS_XMP not in data and b"xmpmeta" not in data
        assert GPS_COMMENT not in data
        assert b"iPhone" not in data
        assert "icc_profile" not in image.info and "xmp" not in image.info and "comment" not in image.info


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_exif_orientation_is_applied_before_it_is_stripped(kind: str) -> None:
    # Orientation 6: the camera was held upright, so the stored picture must turn 90° clockwise.
    photo = process_photo(marked_photo(kind, orientation=6))

    large = _open(photo.variants[0][1])
    assert large.size == (90, 120)
    assert _close(large, (80, 10), RED)  # the stored top-left is now top-right
    assert _close(large, (10, 10), WHITE)


def test_a_phone_photo_with_orientation_6_becomes_portrait() -> None:
    photo = process_photo(sample_photo("jpeg", width=1200, height=900, orientation=6))

    assert _sizes(photo)["large"] == (900, 1200)


def test_transparency_is_flattened_onto_white() -> None:
    photo = process_photo(sample_photo("png", width=400, height=300))

    large = _open(photo.variants[0][1])
    assert _close(large, (2, 2), WHITE, tolerance=8)
    assert not _close(large, (200, 150), WHITE)  # the opaque middle keeps its picture


def test_the_same_photo_gets_the_same_content_address(phone_photo: ProcessedPhoto) -> None:
    again = process_photo(sample_photo("jpeg", width=1200, height=900, gps=True, text="Sourdough"))
    other = process_photo(sample_photo("jpeg", width=1200, height=900, gps=True, text="Rye"))

    assert again.photo_id == phone_photo.photo_id
    assert other.photo_id != phone_photo.photo_id
    assert len(phone_photo.photo_id) == 64


def test_too_many_bytes_is_rejected_as_too_large_before_decoding() -> None:
    with pytest.raises(PhotoTooLarge) as rejected:
        process_photo(not_an_image() * 1000, max_bytes=10_000)

    assert "limit is 10 KB" in rejected.value.reason


def test_a_decompression_bomb_is_an_invalid_photo() -> None:
    with pytest.raises(InvalidPhoto) as rejected:
        process_photo(decompression_bomb())

    assert "megapixels" in rejected.value.reason


def test_more_pixels_than_the_limit_is_an_invalid_photo() -> None:
    with pytest.raises(InvalidPhoto) as rejected:
        process_photo(sample_photo("png", width=1200, height=900), limits=PixelLimits(jpeg=1_000_000, other=1_000_000))

    assert "image has 1.1 megapixels, the limit for PNG is 1; export it as JPEG" in rejected.value.reason


def test_a_png_declaring_59_megapixels_is_refused_from_its_header() -> None:
    """The review's bomb: 59 MP in a small PNG, once under the old 60 MP limit."""
    started = time.perf_counter()
    with pytest.raises(InvalidPhoto, match="limit for PNG is 24"):
        process_photo(decompression_bomb(width=7_700, height=7_700))
    assert time.perf_counter() - started < 1.0  # refused before any pixel is decompressed


def test_a_jpeg_may_have_more_pixels_than_other_formats_because_it_decodes_reduced() -> None:
    limits = PixelLimits(jpeg=2_000_000, other=1_000_000)
    jpeg = process_photo(sample_photo("jpeg", width=1200, height=900), limits=limits)
    assert jpeg.variants[0][0].width == 1200
    with pytest.raises(InvalidPhoto, match="limit for WEBP"):
        process_photo(sample_photo("webp", width=1200, height=900), limits=limits)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(not_an_image(), id="text"),
        pytest.param(b"", id="empty"),
        pytest.param(truncated_jpeg(), id="truncated-jpeg"),
        pytest.param(sample_photo("gif", width=120, height=90), id="gif"),
    ],
)
def test_anything_but_a_readable_photo_in_an_accepted_format_is_invalid(data: bytes) -> None:
    with pytest.raises(InvalidPhoto) as rejected:
        process_photo(data)

    assert "upload a JPEG, PNG, WebP or HEIC photo" in rejected.value.reason


def test_rejections_share_a_base_that_carries_the_reason() -> None:
    assert issubclass(PhotoTooLarge, PhotoRejected) and issubclass(InvalidPhoto, PhotoRejected)
    assert issubclass(PhotoRejected, ValueError)
    assert PhotoRejected("upload a photo").reason == "upload a photo"


def test_the_store_saves_every_variant_where_path_finds_it(tmp_path: Path, phone_photo: ProcessedPhoto) -> None:
    store = PhotoStore(tmp_path)

    store.save(phone_photo)

    for variant, data in phone_photo.variants:
        found = store.path(phone_photo.photo_id, variant.name)
        assert found == tmp_path / phone_photo.photo_id[:2] / phone_photo.photo_id / f"{variant.name}.jpg"
        assert found.read_bytes() == data


def test_saving_twice_is_harmless(tmp_path: Path, phone_photo: ProcessedPhoto) -> None:
    store = PhotoStore(tmp_path)
    store.save(phone_photo)
    folder = tmp_path / phone_photo.photo_id[:2] / phone_photo.photo_id
    first = {file.name: file.stat().st_ino for file in folder.iterdir()}

    store.save(phone_photo)

    assert {file.name: file.stat().st_ino for file in folder.iterdir()} == first  # untouched, no temp files left
    assert sorted(first) == ["large.jpg", "medium.jpg", "thumb.jpg"]


def test_a_partly_saved_photo_is_completed_by_saving_again(tmp_path: Path, phone_photo: ProcessedPhoto) -> None:
    store = PhotoStore(tmp_path)
    store.save(phone_photo)
    thumb = store.path(phone_photo.photo_id, "thumb")
    assert thumb is not None
    thumb.unlink()

    store.save(phone_photo)

    assert store.path(phone_photo.photo_id, "thumb") is not None


@pytest.mark.parametrize(
    "photo_id",
    [
        "../etc",
        "../" + "a" * 61,
        "A" * 64,
        "a" * 63,
        "a" * 64 + "\n",
        "a" * 65,
        "",
    ],
)
def test_path_refuses_malformed_ids(tmp_path: Path, photo_id: str) -> None:
    assert PhotoStore(tmp_path).path(photo_id, "large") is None


def test_path_refuses_unknown_variants_and_missing_photos(tmp_path: Path, phone_photo: ProcessedPhoto) -> None:
    store = PhotoStore(tmp_path)
    store.save(phone_photo)

    assert store.path(phone_photo.photo_id, "original") is None
    assert store.path(phone_photo.photo_id, "../large") is None
    assert store.path("f" * 64, "large") is None
