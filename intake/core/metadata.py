"""Metadata that can name a reporter, taken out of a file before a unit receives it: a photo's
EXIF (GPS position, camera and its serial number, owner, time taken) and text chunks, an Office
document's author, editors, company and the authors of its comments and tracked changes, a
PDF's document information and XMP. `clean` says, in words staff read, what it removed.

Files of other types (a forwarded mail, a video, an archive) cannot be cleaned here; staff are
warned before they release one (`can_clean`)."""

import io
import re
import zipfile
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
OFFICE_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
PDF_TYPE = "application/pdf"

# What can be removed, by key (stored with a release) and in words (shown to staff).
GPS, CAMERA, OWNER, TAKEN, SOFTWARE, IMAGE_TEXT = "gps", "camera", "owner", "taken", "software", "image_text"
AUTHOR, COMPANY, DATES, COMMENT_AUTHORS, CUSTOM = "author", "company", "dates", "comment_authors", "custom"
PDF_INFO, XMP = "pdf_info", "xmp"
LABELS = {
    GPS: _l("GPS position"),
    CAMERA: _l("camera make, model or serial number"),
    OWNER: _l("owner or author name"),
    TAKEN: _l("date and time taken"),
    SOFTWARE: _l("editing software"),
    IMAGE_TEXT: _l("text embedded in the image"),
    AUTHOR: _l("author and last editor"),
    COMPANY: _l("company and manager"),
    DATES: _l("dates of creation, editing and printing"),
    COMMENT_AUTHORS: _l("names of comment and revision authors"),
    CUSTOM: _l("custom document properties"),
    PDF_INFO: _l("document information (author, creator, producer, dates)"),
    XMP: _l("XMP metadata"),
}


def describe(key: str) -> str:
    return str(LABELS.get(key, key))


# EXIF tags (TIFF/EXIF numbering) and what they tell.
_EXIF_TAGS = {
    0x8825: GPS,  # GPSInfo
    0x010F: CAMERA,  # Make
    0x0110: CAMERA,  # Model
    0x013B: OWNER,  # Artist
    0x8298: OWNER,  # Copyright
    0x9C9D: OWNER,  # XPAuthor
    0x0131: SOFTWARE,  # Software
    0x0132: TAKEN,  # DateTime
}
_EXIF_IFD_TAGS = {
    0x9003: TAKEN,  # DateTimeOriginal
    0x9004: TAKEN,  # DateTimeDigitized
    0xA430: OWNER,  # CameraOwnerName
    0xA431: CAMERA,  # BodySerialNumber
    0xA434: CAMERA,  # LensModel
    0x927C: CAMERA,  # MakerNote
}


@dataclass(frozen=True)
class Cleaned:
    """`data`: the file without what `removed` names (the original bytes when nothing was
    found); None when the file cannot be cleaned (its type, or it is damaged or encrypted)."""

    data: bytes | None
    removed: tuple[str, ...] = ()  # keys of LABELS

    @property
    def cleanable(self) -> bool:
        return self.data is not None


def can_clean(content_type: str) -> bool:
    return content_type in IMAGE_TYPES or content_type in OFFICE_TYPES or content_type == PDF_TYPE


def clean(data: bytes, content_type: str) -> Cleaned:
    try:
        if content_type in IMAGE_TYPES:
            return _clean_image(data, IMAGE_TYPES[content_type])
        if content_type in OFFICE_TYPES:
            return _clean_office(data)
        if content_type == PDF_TYPE:
            return _clean_pdf(data)
    except Exception:  # noqa: BLE001 - a damaged file of a cleanable type: treat as uncleanable
        return Cleaned(None)
    return Cleaned(None)


def _unique(found: list) -> tuple[str, ...]:
    return tuple(dict.fromkeys(found))


# --- photos ---------------------------------------------------------------------------------


def _clean_image(data: bytes, image_format: str) -> Cleaned:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        found = [label for tag, label in _EXIF_TAGS.items() if tag in exif]
        found += [label for tag, label in _EXIF_IFD_TAGS.items() if tag in exif.get_ifd(0x8769)]
        if exif.get_ifd(0x8825):
            found.append(GPS)
        if any(key in image.info for key in ("xmp", "XML:com.adobe.xmp", "comment")) or getattr(image, "text", None):
            found.append(IMAGE_TEXT)
        if not found and not exif:
            return Cleaned(data)
        # Turned the way the camera meant before the orientation tag goes with the rest.
        upright = ImageOps.exif_transpose(image) if image_format != "GIF" else image
        options = {"icc_profile": image.info["icc_profile"]} if "icc_profile" in image.info else {}
        if image_format == "JPEG":
            options.update(quality=95, subsampling="keep" if upright is image else 0)
        elif image_format == "GIF":
            options.update(save_all=True)
        out = io.BytesIO()
        upright.save(out, format=image_format, **options)
    return Cleaned(out.getvalue(), _unique(found))


# --- Office documents (docx, xlsx, pptx: zip packages of XML) --------------------------------

_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "dcmitype": "http://purl.org/dc/dcmitype/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "ep": "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
}
# Elements of docProps/core.xml and app.xml emptied, and what they tell.
_PROPERTIES = {
    f"{{{_NS['dc']}}}creator": AUTHOR,
    f"{{{_NS['cp']}}}lastModifiedBy": AUTHOR,
    f"{{{_NS['dcterms']}}}created": DATES,
    f"{{{_NS['dcterms']}}}modified": DATES,
    f"{{{_NS['cp']}}}lastPrinted": DATES,
    f"{{{_NS['ep']}}}Company": COMPANY,
    f"{{{_NS['ep']}}}Manager": COMPANY,
}
_CUSTOM_PROPERTY = re.compile(rb"<property\b.*?</property>", re.DOTALL)
# Authors of comments and tracked changes: w:author/w:initials (Word), <author> (Excel's
# comments), displayName/userId (threaded comments' persons), name/initials (PowerPoint).
_XML_AUTHORS = [
    (re.compile(rb'\b(w:author|w:initials|w15:userId)="[^"]*"'), rb'\1=""'),
    (re.compile(rb"<author>[^<]*</author>"), b"<author></author>"),
    (re.compile(rb'\b(displayName|userId)="[^"]*"'), rb'\1=""'),
]
_PPT_AUTHORS = (re.compile(rb'\b(name|initials)="[^"]*"'), rb'\1=""')


def _clean_office(data: bytes) -> Cleaned:
    found = []
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            part = _clean_part(info.filename, part, found)
            target.writestr(info, part, compress_type=zipfile.ZIP_DEFLATED)
    if not found:
        return Cleaned(data)
    return Cleaned(out.getvalue(), _unique(found))


def _clean_part(name: str, part: bytes, found: list) -> bytes:
    def scrub(pattern, replacement, text, label):
        cleaned, count = pattern.subn(replacement, text)
        if count and cleaned != text:
            found.append(label)
        return cleaned

    if name in ("docProps/core.xml", "docProps/app.xml"):
        return _clean_properties(part, found)
    if name == "docProps/custom.xml":
        return scrub(_CUSTOM_PROPERTY, b"", part, CUSTOM)
    if name.endswith("commentAuthors.xml"):
        return scrub(*_PPT_AUTHORS, part, COMMENT_AUTHORS)
    if name.endswith(".xml"):
        for pattern, replacement in _XML_AUTHORS:
            part = scrub(pattern, replacement, part, COMMENT_AUTHORS)
    return part


def _clean_properties(part: bytes, found: list) -> bytes:
    import xml.etree.ElementTree as ET

    for prefix, uri in _NS.items():
        ET.register_namespace("" if prefix == "ep" else prefix, uri)
    root = ET.fromstring(part)
    emptied = [child for child in root if child.tag in _PROPERTIES and (child.text or "").strip()]
    if not emptied:
        return part
    for child in emptied:
        found.append(_PROPERTIES[child.tag])
        if _PROPERTIES[child.tag] == DATES:
            root.remove(child)  # an empty date is not a valid one: the element goes
        else:
            child.text = None
    return ET.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- PDF ------------------------------------------------------------------------------------


def _clean_pdf(data: bytes) -> Cleaned:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        return Cleaned(None)
    found = []
    info = reader.metadata
    if info and any(str(value).strip() for value in info.values()):
        found.append(PDF_INFO)
    if "/Metadata" in reader.trailer["/Root"]:
        found.append(XMP)
    if not found:
        return Cleaned(data)
    writer = PdfWriter(clone_from=reader)
    writer.metadata = None
    root = writer._root_object  # noqa: SLF001 - pypdf has no public call to drop XMP
    if NameObject("/Metadata") in root:
        del root[NameObject("/Metadata")]
    out = io.BytesIO()
    writer.write(out)
    return Cleaned(out.getvalue(), _unique(found))
