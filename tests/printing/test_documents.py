"""The printing pipeline: PDFs embed the Noto CJK fonts and their text extracts; Word files
name their CJK fonts in w:eastAsia; dates are written the official way."""

import io
import re
import shutil
import subprocess
from datetime import date

import pytest

from intake.printing import chinese_date
from intake.printing.pdf import render_pdf
from intake.printing.word import OfficialDocument


def pdf_tool(name: str, pdf: bytes, tmp_path) -> str:
    if shutil.which(name) is None:
        pytest.fail(f"{name} not found: apt-get install poppler-utils (`make test` does this)")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    args = [name, str(path)] + (["-"] if name == "pdftotext" else [])
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


# WeasyPrint names an embedded font after its family with hyphens: "ABCDEF+Noto-Serif-CJK-SC".
NOTO_CJK = re.compile(r"^\S*Noto-?(Sans|Serif)-?CJK\S*\s.*\byes\s+yes\s+yes\b", re.MULTILINE)


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 12, 6), "二〇二六年十二月六日"),
        (date(2027, 10, 10), "二〇二七年十月十日"),
        (date(2030, 11, 21), "二〇三〇年十一月二十一日"),
        (date(2001, 2, 28), "二〇〇一年二月二十八日"),
        (date(2028, 3, 31), "二〇二八年三月三十一日"),
    ],
)
def test_dates_are_written_in_chinese_numerals(day, text):
    assert chinese_date(day) == text


@pytest.mark.parametrize("backend", ["sqlite"])
def test_pdf_embeds_noto_cjk_and_its_text_extracts(app, tmp_path):
    app.config["COMMITTEE_NAME"] = "政协镇雄县委员会"
    with app.test_request_context():
        pdf = render_pdf(
            "printing/sample.html",
            issued_on=date(2026, 12, 6),
            title="县政务服务管理局民主监督实施方案",
            lines=["为深入开展干部作风和营商环境“双提升”专项行动。"] * 80,
        )
    assert pdf.startswith(b"%PDF")
    fonts = pdf_tool("pdffonts", pdf, tmp_path)
    assert NOTO_CJK.search(fonts), fonts
    # Every font is embedded: a reader without Noto prints the same pages.
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(re.search(r"\byes\s+yes\s+yes\b", row) for row in rows), fonts
    text = pdf_tool("pdftotext", pdf, tmp_path)
    assert "县政务服务管理局民主监督实施方案" in text
    assert "政协镇雄县委员会" in text and "二〇二六年十二月六日" in text
    # A4 and page numbers "第 N 页 共 M 页" (pdftotext may drop the spaces).
    assert re.search(r"第\s*2\s*页\s*共\s*\d+\s*页", text), text
    info = subprocess.run(["pdfinfo", str(tmp_path / "document.pdf")], capture_output=True, text=True).stdout
    assert "595.27 x 841.89" in info or "595.276 x 841.89" in info, info


@pytest.mark.parametrize("backend", ["sqlite"])
def test_user_text_cannot_load_files_into_the_pdf(app, tmp_path):
    with app.test_request_context():
        pdf = render_pdf(
            "printing/sample.html",
            issued_on=date(2026, 12, 6),
            title="<img src='file:///etc/passwd'>",
            lines=["<style>@import url(file:///etc/hostname)</style>"],
        )
    text = pdf_tool("pdftotext", pdf, tmp_path)
    assert "<img src='file:///etc/passwd'>" in text  # printed as text, never interpreted


def test_word_document_names_its_cjk_fonts_for_word_and_wps():
    import docx
    from docx.oxml.ns import qn

    document = OfficialDocument("政协镇雄县委员会", date(2026, 12, 6))
    document.title("县工科局民主监督实施方案")
    document.heading("一、指导思想")
    document.paragraphs("第一段。\n\n第二段。")
    document.table(["姓名", "职务"], [["张三", "组长"]])
    document.signature()
    opened = docx.Document(io.BytesIO(document.to_bytes()))
    texts = [p.text for p in opened.paragraphs]
    assert "县工科局民主监督实施方案" in texts and "第一段。" in texts and "二〇二六年十二月六日" in texts
    assert opened.tables[0].cell(1, 0).text == "张三"
    east_asia = {f.get(qn("w:eastAsia")) for f in opened.element.body.iter(qn("w:rFonts"))}
    assert {"宋体", "仿宋", "黑体"} <= east_asia
    section = opened.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    footer_xml = section.footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml
    assert section.header.paragraphs[0].text == "政协镇雄县委员会"
