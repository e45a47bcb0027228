from __future__ import annotations

import io

import pytest
from PIL import Image

from hazards.photos import PhotoRejected, process_photo

from .factories import jpeg_with_exif


def test_public_copy_is_rotated_and_has_no_metadata():
    raw = jpeg_with_exif(size=(40, 20), orientation=6, gps=True)
    src = Image.open(io.BytesIO(raw))
    assert src.getexif().get(0x0112) == 6 and 0x8825 in src.getexif()  # the input really has them
    out = process_photo(raw)
    img = Image.open(io.BytesIO(out.image.read()))
    assert img.size == (20, 40)  # orientation applied to the pixels
    assert len(img.getexif()) == 0
    assert "exif" not in img.info and "icc_profile" not in img.info
    assert b"Exif" not in out.image.read()[:4096] and b"PhoneMaker" not in out.image.read()
    # Orientation 6 = rotate 90° CW: the blue left half ends up on top.
    assert img.getpixel((10, 5))[2] > 150 and img.getpixel((10, 35))[0] > 150
    thumb = Image.open(io.BytesIO(out.thumbnail.read()))
    assert max(thumb.size) <= 320 and len(thumb.getexif()) == 0
    assert out.taken_at is not None and out.taken_at.day == 20


def test_oversized_and_non_images_are_refused(settings):
    settings.HAZARD_PHOTO_MAX_BYTES = 100
    with pytest.raises(PhotoRejected, match="太大"):
        process_photo(jpeg_with_exif())
    settings.HAZARD_PHOTO_MAX_BYTES = 10_000_000
    with pytest.raises(PhotoRejected, match="无法识别"):
        process_photo(b"not an image at all")
