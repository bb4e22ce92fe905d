"""Mail decoded as its writer saw it (issue 18): each case is a message built as the mailer that
sends it writes it, decoded by the same parse the ingestion job runs."""

from __future__ import annotations

from pathlib import Path

from intake.mailbox.decoding.parsing import parse_message

MAIL_DIR = Path(__file__).resolve().parent.parent / "data" / "mail"


def parse(name: str):
    return parse_message((MAIL_DIR / (name + ".eml")).read_bytes())


def test_iso_2022_jp_in_subject_body_and_file_names():
    parsed = parse("iso_2022_jp_everywhere")
    assert parsed.subject == "テスト：窓口の件"
    assert parsed.text == "窓口の対応についてご連絡します。\nよろしくお願いします。"
    assert parsed.lossy is False
    assert [a.filename for a in parsed.attachments] == ["報告書.pdf", "写真.jpg", "議事録.txt"]
