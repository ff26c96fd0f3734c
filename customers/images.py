# kept until the open branches merge; removed in step 3
from kernel.errors import InvalidImage
from kernel.images import (
    MAX_PIXELS,
    THUMBNAIL_SIZE,
    CleanImage,
    file_sha256,
    image_clean,
)

__all__ = ["MAX_PIXELS", "THUMBNAIL_SIZE", "CleanImage", "InvalidImage", "file_sha256",
           "image_clean"]
