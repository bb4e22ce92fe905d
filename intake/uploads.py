"""What the public may upload: a small allow-list of types, checked by name and by content."""

import os
import unicodedata

from werkzeug.datastructures import FileStorage

# extension -> content type we record and serve (never the browser's claim).
ALLOWED_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "heic": "image/heic",
    "heif": "image/heif",
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "wps": "application/vnd.ms-works",
    "txt": "text/plain",
}
# Types whose first bytes must match, so a renamed executable or HTML page is refused.
SNIFFED = {"jpg", "jpeg", "png", "gif", "webp", "pdf", "heic", "heif"}
MAX_NAME_CHARS = 120


def extension_of(filename: str) -> str:
    return os.path.splitext(filename)[1].lower().lstrip(".")


def safe_display_name(filename: str) -> str:
    """The original name without any path or control characters, bounded in length."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        name = stem[: MAX_NAME_CHARS - len(ext) - 1] + dot + ext if dot else name[:MAX_NAME_CHARS]
    return name or "attachment"


def stream_size(storage: FileStorage) -> int:
    stream = storage.stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def content_matches(storage: FileStorage, ext: str) -> bool:
    if ext not in SNIFFED:
        return True
    import filetype  # 0.03 s to import: at the first upload, not at every process start

    head = storage.stream.read(262)
    storage.stream.seek(0)
    kind = filetype.guess(head)
    if kind is None:
        return False
    expected = ALLOWED_TYPES[ext]
    return kind.mime == expected or (ext in {"heic", "heif"} and kind.mime in {"image/heic", "image/heif"})
