"""Uploaded images (product photos, tier badges): checked with Pillow, re-encoded from their
pixels only, with a thumbnail; and the public address of a stored one."""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.core.files import File
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from kernel.errors import InvalidImage

MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = 400
# What each accepted format is stored as, and the stored file's extension. A GIF keeps its
# first frame only, as a PNG.
STORED_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
EXTENSION = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
SAVE_OPTIONS = {"PNG": {"optimize": True}, "JPEG": {"quality": 90}, "WEBP": {"quality": 90}}


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    thumbnail: bytes  # WebP
    width: int
    height: int


def media_url(name: str) -> str:
    """The address of a stored file, or "" for none."""
    return default_storage.url(name) if name else ""


def file_sha256(file: File) -> str:
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def image_clean(*, file: File, max_bytes: int, max_pixels: int = MAX_PIXELS,
                thumbnail_size: int = THUMBNAIL_SIZE) -> CleanImage:
    """Accept only real JPEG, PNG, WebP or GIF images up to `max_bytes` and `max_pixels`
    (40 megapixels by default).
    The stored image is made from the pixels alone, turned upright first as its EXIF
    orientation says, so no metadata (EXIF, GPS position, comments) survives; the thumbnail
    (WebP) fits in `thumbnail_size` x `thumbnail_size` pixels."""
    image = _decode(_read_within_limit(file, max_bytes), max_pixels)
    stored_format = STORED_FORMAT[image.format]
    clean = _pixels_only(image, keep_alpha=stored_format != "JPEG")
    thumb = clean.copy()
    thumb.thumbnail((thumbnail_size, thumbnail_size), Image.Resampling.LANCZOS)
    return CleanImage(
        content=_encode(clean, stored_format, **SAVE_OPTIONS[stored_format]),
        extension=EXTENSION[stored_format],
        thumbnail=_encode(thumb, "WEBP", quality=80),
        width=clean.width, height=clean.height,
    )


def _read_within_limit(file: File, limit: int) -> bytes:
    if file.size is not None and file.size > limit:
        raise InvalidImage(
            _("The image is %(size)s; the largest accepted is %(limit)s.")
            % {"size": filesizeformat(file.size), "limit": filesizeformat(limit)}
        )
    # The size a file claims may be missing or wrong: never read more than the limit.
    file.seek(0)
    data = file.read(limit + 1)
    file.seek(0)
    if len(data) > limit:
        raise InvalidImage(
            _("The image is larger than %(limit)s.") % {"limit": filesizeformat(limit)}
        )
    return data


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    """The image in `data`, fully loaded, once its format and pixel count are accepted."""
    image = _open(data)
    if image.format not in STORED_FORMAT:
        raise InvalidImage(
            _("%(format)s images are not accepted; use JPEG, PNG, WebP or GIF.")
            % {"format": image.format}
        )
    width, height = image.size
    if width * height > max_pixels:
        raise InvalidImage(
            _("The image is %(width)d×%(height)d pixels; the largest accepted is %(limit)s "
              "megapixels.") % {"width": width, "height": height,
                                "limit": f"{max_pixels / 1_000_000:g}"}
        )
    try:
        image.verify()
        image = _open(data)  # verify() leaves the image unusable: open it again to load it
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(_("The image file is damaged or incomplete.")) from exc
    return image


def _open(data: bytes) -> Image.Image:
    too_big = _("The image has too many pixels; the largest accepted is 40 megapixels.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidImage(too_big) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidImage(
            _("This file is not an image; use JPEG, PNG, WebP or GIF.")
        ) from exc


def _pixels_only(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    """The image turned upright, rebuilt from its raw pixels: a new image carries no info,
    EXIF, ICC profile or comments."""
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    mode = "RGBA" if has_alpha and keep_alpha else "RGB"
    converted = upright.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()
