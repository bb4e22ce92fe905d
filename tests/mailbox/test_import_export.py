"""`intake import` (mbox, Maildir, .eml) through the same pipeline, and `intake export`."""

import json
import mailbox

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from tests.mailbox.test_ingest import MAIL, mail


@pytest.fixture
def sources(tmp_path):
    mbox = mailbox.mbox(str(tmp_path / "archive.mbox"))
    for raw in (mail("旧邮件一", "政务大厅排队两小时"), (MAIL / "gbk_body_labelled_gb2312.eml").read_bytes()):
        mbox.add(raw)
    mbox.flush()
    maildir = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    maildir.add(mail("Maildir 里的信", "窗口工作人员吃拿卡要", sender="lisi@example.cn"))
    maildir.add((MAIL / "big5_traditional.eml").read_bytes())
    eml = tmp_path / "one.eml"
    eml.write_bytes((MAIL / "outlook_quoted_encoded_filename.eml").read_bytes())
    return [str(tmp_path / "archive.mbox"), str(tmp_path / "Maildir"), str(eml)]


def test_import_runs_the_pipeline_once_and_sends_nothing(app, runner, sources, smtp_server):
    result = runner.invoke(args=["intake", "import", *sources])
    assert result.exit_code == 0, result.output
    assert "5\tnew item" in result.output
    result = runner.invoke(args=["intake", "import", *sources])  # the same archive again
    assert "5\tsame bytes as an earlier message" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FeedbackItem)) == 5
        bodies = " ".join(db.session.scalars(select(FeedbackItem.body)))
        assert "吃拿卡要" in bodies and "\ufffd" not in bodies
        assert all(i.dispatched_at for i in db.session.scalars(select(FeedbackItem)))
    assert smtp_server.messages == []


def test_export_jsonl_csv_xlsx(app, runner, sources, tmp_path):
    from openpyxl import load_workbook

    runner.invoke(args=["intake", "import", *sources])
    result = runner.invoke(args=["intake", "export", "--format", "jsonl", "--out", str(tmp_path / "items.jsonl")])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "items.jsonl").read_text("utf-8").splitlines()]
    assert len(records) == 5
    first = records[0]
    assert first["source"] == "email" and first["received_at"].endswith("Z") and first["message_id"]
    assert first["thread_messages"] == 1 and first["is_auto"] is False
    with_files = [r for r in records if r["attachments"]]
    assert with_files and set(with_files[0]["attachments"][0]) == {"filename", "content_type", "size", "sha256"}

    runner.invoke(args=["intake", "export", "--format", "csv", "--out", str(tmp_path / "items.csv")])
    raw = (tmp_path / "items.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "吃拿卡要".encode() in raw

    result = runner.invoke(args=["intake", "export", "--format", "xlsx", "--out", str(tmp_path / "items.xlsx")])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(tmp_path / "items.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "tracking_code" and len(rows) == 6
    assert any("吃拿卡要" in (r[5] or "") for r in rows[1:])

    result = runner.invoke(args=["intake", "export", "--format", "jsonl", "--since", "2999-01-01"])
    assert result.exit_code == 0 and result.output.strip() == ""
