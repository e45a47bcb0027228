"""Hazard photos: size-limited, auto-oriented, metadata stripped from the public copy, thumbnailed.

Phones write the reporter's GPS position, device and time into EXIF. The public copy must carry
none of it, so we re-encode only the pixels (after applying the Orientation tag, which is itself
metadata and would otherwise be lost).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES_DEFAULT = 10 * 1024 * 1024
MAX_PIXELS_SIDE = 2560
THUMB_SIDE = 320
_EXIF_DATETIME_ORIGINAL = 0x9003
_EXIF_IFD = 0x8769


class PhotoRejected(ValueError):
    """The upload is not an acceptable photo; the message says why, for the volunteer."""


@dataclass
class ProcessedPhoto:
    image: ContentFile
    thumbnail: ContentFile
    taken_at: datetime | None


def _jpeg(img: Image.Image, name: str) -> ContentFile:
    buf = io.BytesIO()
    # No exif= argument and a fresh RGB image: Pillow writes no EXIF/XMP/ICC metadata.
    img.save(buf, format="JPEG", quality=85, optimize=True)
    return ContentFile(buf.getvalue(), name=name)


def _taken_at(img: Image.Image) -> datetime | None:
    raw = img.getexif().get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL)
    if not raw:
        return None
    try:
        naive = datetime.strptime(str(raw).strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    # EXIF times carry no zone; phones write local time.
    return timezone.make_aware(naive)


def photo_limit() -> int:
    return getattr(settings, "HAZARD_PHOTO_MAX_BYTES", MAX_BYTES_DEFAULT)


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file, refusing oversized ones before reading them into memory."""
    limit = photo_limit()
    if upload.size > limit:
        raise PhotoRejected(
            _("照片太大（%(got).1f MB），请压缩到 %(max).0f MB 以内再上传。")
            % {"got": upload.size / 1e6, "max": limit / 1e6}
        )
    return upload.read()


def process_photo(data: bytes, *, stem: str = "photo") -> ProcessedPhoto:
    limit = photo_limit()
    if len(data) > limit:
        raise PhotoRejected(
            _("照片太大（%(got).1f MB），请压缩到 %(max).0f MB 以内再上传。")
            % {"got": len(data) / 1e6, "max": limit / 1e6}
        )
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Image.DecompressionBombError as exc:
        raise PhotoRejected(_("照片像素过多，请用手机正常拍摄的照片。")) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise PhotoRejected(_("无法识别的图片文件，请上传 JPEG 或 PNG 照片。")) from exc
    taken_at = _taken_at(img)
    oriented = ImageOps.exif_transpose(img)
    # Copy pixels into a new image so no info dict (exif, icc, xmp, comments) travels along.
    clean = Image.new("RGB", oriented.size)
    clean.paste(oriented.convert("RGB"))
    clean.thumbnail((MAX_PIXELS_SIDE, MAX_PIXELS_SIDE))
    thumb = clean.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return ProcessedPhoto(
        image=_jpeg(clean, f"{stem}.jpg"),
        thumbnail=_jpeg(thumb, f"{stem}_thumb.jpg"),
        taken_at=taken_at,
    )
