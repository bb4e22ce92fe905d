"""The upload allow-list: names cleaned, content sniffed (pure logic, no server)."""

import io

import pytest
from werkzeug.datastructures import FileStorage

from intake.uploads import content_matches, extension_of, safe_display_name
from tests.factories import EXE_HEAD, PDF_MINIMAL, PNG_1X1


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("现场照片.JPG", "现场照片.JPG"),
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\张三\\Desktop\\投诉.pdf", "投诉.pdf"),
        ("bad\x00name\r\n.txt", "badname.txt"),
        ("...", "attachment"),
        ("长" * 200 + ".docx", "长" * 115 + ".docx"),
    ],
)
def test_display_name_has_no_path_or_control_characters(raw, shown):
    assert safe_display_name(raw) == shown


def test_extension_is_lower_case_without_dot():
    assert extension_of("照片.JPEG") == "jpeg"
    assert extension_of("README") == ""


def _storage(data: bytes, name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name)


@pytest.mark.parametrize(
    "data, ext, ok",
    [
        (PNG_1X1, "png", True),
        (PDF_MINIMAL, "pdf", True),
        (EXE_HEAD, "jpg", False),
        (PNG_1X1, "jpg", False),  # a PNG named .jpg would be served as image/jpeg
        (b"<html><script>alert(1)</script></html>", "png", False),
        (b"plain words", "txt", True),  # text is not sniffed
    ],
)
def test_content_must_match_the_extension(data, ext, ok):
    storage = _storage(data, f"f.{ext}")
    assert content_matches(storage, ext) is ok
    assert storage.stream.tell() == 0  # the check leaves the stream ready to be stored
