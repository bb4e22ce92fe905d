"""Mail decoded as its writer saw it (issue 18): each case is a message built as the mailer that
sends it writes it, decoded by the same parse the ingestion job runs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.mailbox.decoding.charsets import decode_bytes
from intake.mailbox.decoding.parsing import parse_message
from intake.mailbox.export import item_records
from intake.mailbox.models import InboundMessage, ThreadEntry
from tests.mailbox.conftest import ingest

MAIL_DIR = Path(__file__).resolve().parent.parent / "data" / "mail"


def parse(name: str):
    return parse_message((MAIL_DIR / (name + ".eml")).read_bytes())


def test_iso_2022_jp_in_subject_body_and_file_names():
    parsed = parse("iso_2022_jp_everywhere")
    assert parsed.subject == "テスト：窓口の件"
    assert parsed.text == "窓口の対応についてご連絡します。\nよろしくお願いします。"
    assert parsed.lossy is False
    assert [a.filename for a in parsed.attachments] == ["報告書.pdf", "写真.jpg", "議事録.txt"]


def test_undeclared_or_mislabelled_latin_is_not_read_as_gb18030():
    parsed = parse("latin_8bit_undeclared")
    assert parsed.subject == "Formação en mécanique"
    assert parsed.from_name == "José Müller" and parsed.from_addr == "jose@example.fr"
    assert parsed.text == "Le guichet de la mairie était fermé à midi, la Formação reprend à 14 h."
    assert parsed.charset == "cp1252" and parsed.lossy is False
    assert [a.filename for a in parsed.attachments] == ["01 Quien Te DijŠat.mp3"]
    # An ISO-8859-1 label on an ASCII body still tells how the raw subject was written.
    latin1 = (
        "From: a@example.fr\r\nSubject: Réunion à Zürich\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nok\r\n"
    )
    assert parse_message(latin1.encode("cp1252")).subject == "Réunion à Zürich"


def test_undeclared_cyrillic_reads_as_cyrillic():
    parsed = parse("cyrillic_8bit_undeclared")
    assert parsed.subject == "Жалоба на работу окна"
    assert parsed.text == "Окно закрыто в обед."
    assert parsed.charset == "cp1251"
    assert decode_bytes("Окно закрыто в обед".encode("koi8_r")).text == "Окно закрыто в обед"


def test_chinese_stays_chinese_where_the_label_is_missing():
    assert parse("raw_8bit_gbk_subject_from").subject == "关于县工科局办事拖延的反映"
    for text in ("关于A区B栋的问题", "使用iPhone手机办理", "王镕反映ETC办理难", "3号楼B座电梯坏了"):
        assert decode_bytes(text.encode("gb18030")).text == text


def test_one_bad_byte_in_utf8_is_replaced_not_the_whole_text_misread():
    parsed = parse("utf8_one_bad_byte")
    letter = "Уважаемые коллеги, окно приёма документов в мэрии закрывается раньше времени.\n"
    # The damaged lead byte and the continuation byte it leaves alone: each one U+FFFD.
    expected = (letter * 60).strip("\n").replace("мэрии", "мэр\ufffd\ufffdи", 1)
    assert parsed.text == expected
    assert parsed.charset == "utf-8" and parsed.lossy is True


def test_last_alternative_with_content_is_the_body():
    assert parse("alternative_last_plain_empty").text == "窗口的工作人员很耐心，表扬一下。"


def test_delivery_report_shows_its_text_and_keeps_its_status():
    parsed = parse("report_with_named_status")
    assert parsed.text == "您的邮件无法投递到 nobody@example.cn。"
    status, headers = parsed.attachments
    assert (status.filename, status.content_type) == ("details.txt", "message/delivery-status")
    assert b"Status: 5.1.1" in status.payload and b"Final-Recipient" in status.payload
    assert headers.content_type == "text/rfc822-headers"
    assert parsed.bounce_recipients == ["nobody@example.cn"]


def test_parts_recovered_when_the_start_boundary_is_missing():
    parsed = parse("missing_start_boundary")
    assert parsed.text == "附件是现场照片。"
    assert [(a.filename, a.payload) for a in parsed.attachments] == [("photo.jpg", b"\xff\xd8\xff\xe0 photo")]
    assert parse("only_close_boundary").text == "只有结束分隔线的邮件。"


def test_attached_mails_keep_the_names_their_sender_gave():
    parsed = parse("attached_mails_with_names")
    thanks, letter, external = parsed.attachments
    assert (thanks.filename, thanks.content_type) == ("thanks.eml", "message/rfc822")
    assert parse_message(thanks.payload).subject == "Thanks!"
    assert letter.filename == "感谢信.eml"
    assert external.content_type == "message/external-body"
    assert not external.filename.endswith(".eml")
    assert b"Content-Type: application/pdf" in external.payload


def test_two_addresses_in_from_without_a_comma_give_the_first():
    parsed = parse("from_two_addresses_no_comma")
    assert parsed.from_addr == "tim@powerupdev.com" and parsed.from_name is None


def test_flowed_delsp_joins_chinese_without_the_inserted_space():
    parsed = parse("flowed_delsp_chinese")
    assert parsed.text == "我在政务大厅排队等了两个小时，窗口只开了一个。\n\n> 请问您反映的是哪个窗口？"


def test_base64_padded_chunk_by_chunk_keeps_every_chunk():
    parsed = parse("base64_padding_in_the_middle")
    assert parsed.text == "路灯坏了一个月。\n晚上走路很危险，\n希望尽快修好。"
    assert parsed.lossy is False


def test_through_the_mailbox_whole_subjects_kept_and_senders_found(mail_app, mailbox_id, imap_append):
    # The real path on both databases: APPEND, the watcher, the parse job, the item and its thread.
    for name in ("long_subject_reply", "from_two_addresses_no_comma", "latin_8bit_undeclared"):
        imap_append((MAIL_DIR / (name + ".eml")).read_bytes())
    ingest(mail_app, mailbox_id)
    subject = parse("long_subject_reply").subject
    assert subject.startswith("Re: 关于城关镇") and len(subject) > 500
    with mail_app.app_context():
        items = db.session.scalars(select(FeedbackItem).order_by(FeedbackItem.id)).all()
        assert [i.subject for i in items] == [subject.removeprefix("Re: "), "contact form", "Formação en mécanique"]
        assert [i.reporter.email for i in items] == ["zhou@example.cn", "tim@powerupdev.com", "jose@example.fr"]
        assert db.session.scalar(select(InboundMessage.subject).where(InboundMessage.item_id == items[0].id)) == subject
        assert db.session.scalar(select(ThreadEntry.subject).where(ThreadEntry.item_id == items[0].id)) == subject
        record = next(item_records())
        assert record["subject"] == subject.removeprefix("Re: ") and record["mail_subject"] == subject
