"""Product images: the shared Pillow pipeline (customers/images.py) with the product limits."""

from django.conf import settings
from django.core.files import File

from customers import images
from customers.images import THUMBNAIL_SIZE, CleanImage, file_sha256
from quizzes.errors import InvalidImage

__all__ = ["MAX_PIXELS", "THUMBNAIL_SIZE", "CleanImage", "file_sha256", "image_clean"]

MAX_PIXELS = images.MAX_PIXELS


def image_clean(*, file: File) -> CleanImage:
    """`customers.images.image_clean` within settings.PRODUCT_IMAGE_MAX_BYTES (5 MB by
    default); a refusal is raised as quizzes' InvalidImage."""
    try:
        return images.image_clean(file=file, max_bytes=settings.PRODUCT_IMAGE_MAX_BYTES,
                                   max_pixels=MAX_PIXELS)
    except images.InvalidImage as exc:
        raise InvalidImage(exc.message) from exc
