"""What can name a reporter is taken out of files before a unit gets them, and what was taken
out is said; files that cannot be cleaned are said to be so."""

import io
import zipfile

import docx
import openpyxl
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from intake.core import metadata

OWNER = "欧阳金丝雀"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def phone_photo(image_format: str = "JPEG") -> bytes:
    """A photo as a phone takes it: GPS position, make and model, owner, portrait orientation."""
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x013B], exif[0x0112] = "Apple", "iPhone 15 Pro", OWNER, 6
    exif.get_ifd(0x8825).update({1: "N", 2: (25.0, 2.0, 3.0), 3: "E", 4: (103.0, 40.0, 1.0)})
    exif.get_ifd(0x8769)[0xA431] = "SN-4711"
    out = io.BytesIO()
    image.save(out, image_format, exif=exif)
    return out.getvalue()


def test_a_phone_photo_loses_position_camera_and_owner_and_stays_upright():
    data = phone_photo()
    result = metadata.clean(data, "image/jpeg")
    assert set(result.removed) >= {metadata.GPS, metadata.CAMERA, metadata.OWNER}
    cleaned = Image.open(io.BytesIO(result.data))
    assert not cleaned.getexif() and not cleaned.getexif().get_ifd(0x8825)
    assert cleaned.size == (30, 40)  # turned as the orientation tag said
    for trace in (b"Apple", b"iPhone", OWNER.encode(), b"SN-4711"):
        assert trace not in result.data


def test_png_text_chunks_are_removed():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", OWNER)
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG", pnginfo=info)
    result = metadata.clean(out.getvalue(), "image/png")
    assert metadata.IMAGE_TEXT in result.removed
    assert OWNER.encode("latin-1", "replace") not in result.data and b"Author" not in result.data


def test_a_photo_without_metadata_is_left_as_it_is():
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "JPEG")
    result = metadata.clean(out.getvalue(), "image/jpeg")
    assert result.data == out.getvalue() and result.removed == ()


def test_a_word_document_loses_author_editor_and_comment_authors():
    document = docx.Document()
    document.add_paragraph("窗口工作人员态度冷漠。")
    document.core_properties.author = OWNER
    document.core_properties.last_modified_by = "司马光"
    out = io.BytesIO()
    document.save(out)
    # A tracked change by the reporter, as Word writes it.
    package = _rewrite_part(
        out.getvalue(),
        "word/document.xml",
        lambda xml: xml.replace(b"<w:body>", f'<w:body><w:ins w:id="1" w:author="{OWNER}" w:initials="OY"/>'.encode()),
    )
    result = metadata.clean(package, DOCX)
    assert set(result.removed) >= {metadata.AUTHOR, metadata.COMMENT_AUTHORS, metadata.DATES}
    assert OWNER.encode() not in result.data and "司马光".encode() not in result.data
    reopened = docx.Document(io.BytesIO(result.data))
    assert reopened.paragraphs[0].text == "窗口工作人员态度冷漠。"
    assert reopened.core_properties.author == ""


def test_a_spreadsheet_loses_its_creator():
    workbook = openpyxl.Workbook()
    workbook.properties.creator = OWNER
    workbook.active["A1"] = "排队时间"
    out = io.BytesIO()
    workbook.save(out)
    result = metadata.clean(out.getvalue(), XLSX)
    assert metadata.AUTHOR in result.removed
    reopened = openpyxl.load_workbook(io.BytesIO(result.data))
    assert not reopened.properties.creator and reopened.active["A1"].value == "排队时间"


def test_a_pdf_loses_its_document_information():
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.add_metadata({"/Author": OWNER, "/Creator": "WPS Office"})
    out = io.BytesIO()
    writer.write(out)
    result = metadata.clean(out.getvalue(), "application/pdf")
    assert result.removed == (metadata.PDF_INFO,)
    reopened = PdfReader(io.BytesIO(result.data))
    assert not reopened.metadata and len(reopened.pages) == 1
    assert OWNER.encode("utf-16-be") not in result.data and b"WPS" not in result.data


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"not a picture", "image/png"),
        (b"PK broken", DOCX),
        (b"From: a@b.c\n\nhi", "message/rfc822"),
        (b"x", "image/heic"),
    ],
)
def test_damaged_files_and_other_types_are_reported_uncleanable(data, content_type):
    assert not metadata.clean(data, content_type).cleanable


def _rewrite_part(package: bytes, name: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            part = source.read(info)
            target.writestr(info, change(part) if info.filename == name else part)
    return out.getvalue()
