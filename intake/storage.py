"""Files on disk under generated names: the original name only ever lives in the database."""

import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

CHUNK = 64 * 1024


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    size: int
    sha256: str


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def path_for(stored_name: str) -> Path:
    # Two levels of fan-out keep directories small on a busy year.
    return upload_root() / stored_name[:2] / stored_name[2:4] / stored_name


def store_stream(stream: BinaryIO) -> StoredFile:
    """Copy a stream to disk atomically; the file appears under its final name only when whole."""
    return _write(stream, fsync=True)


def store_many(streams: list[BinaryIO]) -> list[StoredFile]:
    """Copy many streams to disk (the attachments of a batch of mail) with one flush to disk for
    them all instead of one per file: each is written and renamed, then the file system is
    synced once (syncfs). Call it before the commit of the rows naming the files: a crash before
    the sync leaves only files no row refers to."""
    if len(streams) < 2 or _syncfs is None:
        return [store_stream(stream) for stream in streams]
    stored = [_write(stream, fsync=False) for stream in streams]
    _syncfs(upload_root())
    return stored


def _write(stream: BinaryIO, *, fsync: bool) -> StoredFile:
    stored_name = secrets.token_hex(16)
    target = path_for(stored_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            if fsync:
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return StoredFile(stored_name=stored_name, size=size, sha256=digest.hexdigest())


def _load_syncfs():
    """syncfs(2) of the C library (Linux), or None where there is none."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        call = libc.syncfs
    except (OSError, AttributeError):
        return None

    def syncfs(path: Path) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            if call(fd) != 0:
                error = ctypes.get_errno()
                raise OSError(error, os.strerror(error), str(path))
        finally:
            os.close(fd)

    return syncfs


_syncfs = _load_syncfs()


def store_bytes(data: bytes) -> StoredFile:
    import io

    return store_stream(io.BytesIO(data))
