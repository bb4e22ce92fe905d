"""Word documents (.docx) that open the same in Word and WPS: A4 with the margins of an official
document (公文), CJK fonts named in w:eastAsia (without it Word shows Chinese text in its Latin
font's fallback), the committee's name in the header and "第 N 页 共 M 页" in the footer."""

import io
from datetime import date

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from intake.printing.dates import chinese_date

BODY_FONT = "仿宋"  # 正文: 仿宋 三号 in a county office; 四号 keeps tables readable
TITLE_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
RED = RGBColor(0xB8, 0x1D, 0x1D)


def set_run_font(run, east_asia: str, size_pt: float | None = None, bold: bool | None = None) -> None:
    run.font.name = LATIN_FONT
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    if size_pt is not None:
        run.font.size = Pt(size_pt)
    if bold is not None:
        run.bold = bold


def _set_style_font(style, east_asia: str, size_pt: float) -> None:
    style.font.name = LATIN_FONT
    style.font.size = Pt(size_pt)
    r_pr = style.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)


def _field(paragraph, instruction: str, east_asia: str, size_pt: float) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and WPS compute when they lay out the pages."""
    run = paragraph.add_run()
    set_run_font(run, east_asia, size_pt)
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = instruction
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instr, separate, shown, end):
        run._element.append(element)


class OfficialDocument:
    """A document being written: add headings, paragraphs and tables, then `to_bytes()`."""

    def __init__(self, committee_name: str, issued_on: date):
        self.committee_name = committee_name
        self.issued_on = issued_on
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        _set_style_font(self.doc.styles["Normal"], BODY_FONT, 14)
        self.doc.core_properties.author = committee_name
        header = section.header.paragraphs[0]
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_run_font(header.add_run(committee_name), BODY_FONT, 10.5)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for text, instruction in (("第 ", "PAGE"), (" 页 共 ", "NUMPAGES"), (" 页", None)):
            set_run_font(footer.add_run(text), BODY_FONT, 10.5)
            if instruction:
                _field(footer, instruction, BODY_FONT, 10.5)
        red_head = self.doc.add_paragraph()
        red_head.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = red_head.add_run(committee_name)
        set_run_font(run, TITLE_FONT, 22, bold=True)
        run.font.color.rgb = RED

    def title(self, text: str) -> None:
        self.doc.core_properties.title = text
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_before = Pt(12)
        paragraph.paragraph_format.space_after = Pt(12)
        set_run_font(paragraph.add_run(text), TITLE_FONT, 22, bold=True)

    def heading(self, text: str) -> None:
        # A real heading style, so Word's navigation pane lists the sections.
        paragraph = self.doc.add_heading(level=1)
        paragraph.paragraph_format.space_before = Pt(6)
        run = paragraph.add_run(text)
        set_run_font(run, HEADING_FONT, 16, bold=False)
        run.font.color.rgb = RGBColor(0, 0, 0)

    def paragraphs(self, text: str) -> None:
        """Each line of `text` a paragraph with the first-line indent of two characters."""
        for line in (text or "").splitlines():
            if not line.strip():
                continue
            paragraph = self.doc.add_paragraph()
            paragraph.paragraph_format.first_line_indent = Pt(28)
            paragraph.paragraph_format.line_spacing = Pt(28)
            set_run_font(paragraph.add_run(line.strip()), BODY_FONT, 16)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, header):
            cell.text = ""
            set_run_font(cell.paragraphs[0].add_run(text), HEADING_FONT, 12)
        for row in rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row):
                cell.text = ""
                set_run_font(cell.paragraphs[0].add_run(text or ""), BODY_FONT, 12)

    def signature(self) -> None:
        for text in ("", self.committee_name, chinese_date(self.issued_on)):
            paragraph = self.doc.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            set_run_font(paragraph.add_run(text), BODY_FONT, 16)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()
