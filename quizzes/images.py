"""Product images: checked with Pillow, re-encoded from their pixels only, with a thumbnail."""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from quizzes.errors import InvalidImage

MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = 400
# What each accepted format is stored as. A GIF keeps its first frame only, as a PNG.
STORED_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
EXTENSION = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    thumbnail: bytes  # WebP
    width: int
    height: int


def max_bytes() -> int:
    return settings.PRODUCT_IMAGE_MAX_BYTES


def file_sha256(file: File) -> str:
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def image_clean(*, file: File) -> CleanImage:
    """Accept only real JPEG, PNG, WebP or GIF images up to the size limit
    (settings.PRODUCT_IMAGE_MAX_BYTES, 5 MB by default) and 40 megapixels. The stored image
    is made from the pixels alone, turned upright first as its EXIF orientation says, so no
    metadata (EXIF, GPS position, comments) survives; the thumbnail fits in 400x400 pixels."""
    size = file.size
    if size is not None and size > max_bytes():
        raise InvalidImage(
            _("The image is %(size)s; the largest accepted is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes())}
        )
    file.seek(0)
    data = file.read(max_bytes() + 1)
    file.seek(0)
    if len(data) > max_bytes():
        raise InvalidImage(
            _("The image is larger than %(limit)s.") % {"limit": filesizeformat(max_bytes())}
        )
    image = _open(data)
    if image.format not in STORED_FORMAT:
        raise InvalidImage(
            _("%(format)s images are not accepted; use JPEG, PNG, WebP or GIF.")
            % {"format": image.format}
        )
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise InvalidImage(
            _("The image is %(width)d×%(height)d pixels; the largest accepted is 40 megapixels.")
            % {"width": width, "height": height}
        )
    stored_format = STORED_FORMAT[image.format]
    try:
        image.verify()
        image = _open(data)
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(_("The image file is damaged or incomplete.")) from exc

    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    mode = "RGBA" if has_alpha and stored_format != "JPEG" else "RGB"
    converted = upright.convert(mode)
    # A new image from the raw pixels carries no info, EXIF, ICC profile or comments.
    clean = Image.frombytes(mode, converted.size, converted.tobytes())

    content = io.BytesIO()
    options = {"PNG": {"optimize": True}, "JPEG": {"quality": 90}, "WEBP": {"quality": 90}}
    clean.save(content, format=stored_format, **options[stored_format])
    thumb = clean.copy()
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    thumbnail = io.BytesIO()
    thumb.save(thumbnail, format="WEBP", quality=80)
    return CleanImage(
        content=content.getvalue(), extension=EXTENSION[stored_format],
        thumbnail=thumbnail.getvalue(), width=clean.width, height=clean.height,
    )


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
