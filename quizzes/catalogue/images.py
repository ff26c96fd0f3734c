"""Product images: the kernel's Pillow pipeline with the product limits."""

from django.conf import settings
from django.core.files import File

from kernel import images
from kernel.images import THUMBNAIL_SIZE, CleanImage, file_sha256

__all__ = ["MAX_PIXELS", "THUMBNAIL_SIZE", "CleanImage", "file_sha256", "image_clean"]

MAX_PIXELS = images.MAX_PIXELS


def image_clean(*, file: File) -> CleanImage:
    """`kernel.images.image_clean` within settings.PRODUCT_IMAGE_MAX_BYTES (5 MB by default)
    and MAX_PIXELS (read at each call)."""
    return images.image_clean(file=file, max_bytes=settings.PRODUCT_IMAGE_MAX_BYTES,
                              max_pixels=MAX_PIXELS)
