"""Files on disk: generated names, whole files only, hash and size recorded."""

import hashlib
import io
import os

import pytest

from intake.storage import path_for, store_bytes, store_stream


def test_stored_file_matches_its_hash_and_size(app_ctx):
    data = os.urandom(200_000)  # several chunks
    stored = store_bytes(data)
    path = path_for(stored.stored_name)
    assert path.read_bytes() == data
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert str(path).startswith(app_ctx.config["UPLOAD_DIR"])


def test_each_file_gets_a_new_name(app_ctx):
    names = {store_bytes(b"same").stored_name for _ in range(3)}
    assert len(names) == 3


class _BrokenStream(io.RawIOBase):
    def __init__(self):
        self.calls = 0

    def read(self, size=-1):
        self.calls += 1
        if self.calls > 1:
            raise OSError("connection reset while uploading")
        return b"x" * 100


def test_a_failed_copy_leaves_no_file_behind(app_ctx):
    with pytest.raises(OSError):
        store_stream(_BrokenStream())
    leftovers = [p for p in path_for("ab" * 16).parents[2].rglob("*") if p.is_file()]
    assert leftovers == []
