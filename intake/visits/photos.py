"""Photos of a visit: decoded and encoded again with Pillow before they are stored, so nothing
but the pixels is kept (EXIF carries the place and the phone, 权益保障)."""

import io
import warnings

# The phone already shrinks a photo to this; a browser without canvas may send it whole.
MAX_SIDE = 2048
JPEG_QUALITY = 85


class PhotoError(ValueError):
    """Not a photo Pillow can read."""


def clean_photo(data: bytes) -> bytes:
    """The photo as a JPEG without any metadata, turned the way its EXIF said and at most
    MAX_SIDE pixels on its longer side."""
    # Pillow when a photo comes, not at every process start (the watcher and workers never need it).
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        raise PhotoError("not a readable photo") from exc
    except Image.DecompressionBombError as exc:
        raise PhotoError("photo too large") from exc
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    if image.mode != "RGB":
        image = image.convert("RGB")
    out = io.BytesIO()
    # A fresh image from the pixels: no exif=, icc_profile= or comment passed on.
    Image.frombytes("RGB", image.size, image.tobytes()).save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
