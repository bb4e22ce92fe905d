"""The mailbox end to end against real Dovecot, Redis, SMTP and both databases: APPEND → watcher →
raw row → parse job → committed item → message marked on the server."""

from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from intake.extensions import db
from intake.feedback.models import FeedbackItem, Source
from intake.mailbox.models import BouncingAddress, Direction, InboundMessage, InboundState, Mailbox, ThreadEntry
from intake.mailbox.session import INGESTED, MailboxSession
from tests.mailbox.conftest import drain, flags_by_uid, imap_client, ingest, poll

MAIL = Path(__file__).resolve().parent.parent / "data" / "mail"


def mail(
    subject: str,
    body: str,
    *,
    sender: str = "zhangsan@example.cn",
    message_id: str | None = None,
    extra: str = "",
    charset: str = "utf-8",
) -> bytes:
    """A plain message as a mailer writes it (8-bit body in the declared charset)."""
    message_id = message_id or make_msgid(domain="example.cn")
    if not subject.isascii():
        subject = f"=?utf-8?B?{_b64(subject)}?="
    head = (
        f"From: =?utf-8?B?5byg5LiJ?= <{sender}>\r\n"
        "To: jdyx@zxzx.gov.cn\r\n"
        f"Subject: {subject}\r\n"
        "Date: Tue, 03 Nov 2026 10:20:00 +0800\r\n"
        f"Message-ID: {message_id}\r\n"
        f"{extra}"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={charset}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode("ascii") + body.encode(charset) + b"\r\n"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_append_becomes_item_and_message_is_marked(mail_app, mailbox_id, imap_append, imap):
    imap_append((MAIL / "gbk_body_labelled_gb2312.eml").read_bytes())
    imap_append((MAIL / "inline_cid_image.eml").read_bytes())

    assert poll(mail_app, mailbox_id) == 2
    with mail_app.app_context():
        rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.uid)).all()
        assert [r.state for r in rows] == [InboundState.stored] * 2
        assert all(r.raw and len(r.sha256) == 64 and r.enqueued_at for r in rows)
        assert db.session.get(Mailbox, mailbox_id).last_uid == rows[-1].uid
    # Stored but no item yet: nothing may be marked on the server.
    assert not any(INGESTED in f for f in flags_by_uid(imap).values())

    drain(mail_app)
    with mail_app.app_context():
        items = db.session.scalars(select(FeedbackItem).order_by(FeedbackItem.id)).all()
        assert len(items) == 2
        first = items[0]
        assert first.source is Source.email
        assert "镕" in first.body or "喆" in first.body or "堃" in first.body  # GBK beyond gb2312
        assert "\ufffd" not in first.body
        assert first.reporter.email == "wangrong@example.cn"
        assert any(a.is_inline for a in items[1].attachments)
        entries = db.session.scalars(select(ThreadEntry)).all()
        assert {e.direction for e in entries} == {Direction.inbound} and len(entries) == 2
        assert db.session.scalar(select(InboundMessage.charset).where(InboundMessage.item_id == first.id)) == "gb18030"

    poll(mail_app, mailbox_id)  # marks what is committed
    flags = flags_by_uid(imap)
    assert len(flags) == 2 and all(INGESTED in f for f in flags.values())
    assert not any(b"\\Deleted" in f for f in flags.values())


def test_mailbox_with_nothing_new_costs_one_round_trip(mail_app, mailbox_id, imap_append):
    for n in range(60):
        imap_append(mail(f"report {n}", f"正文 {n}"))
    session = MailboxSession(mail_app, mailbox_id)
    session.connect()
    try:
        session.poll()
        drain(mail_app)
        session.poll()  # marks all 60

        # Every tagged command, whether imaplib or imapclient sends it, takes a new tag.
        tags = []
        original = session.client._imap._new_tag

        def counting():
            tags.append(original())
            return tags[-1]

        session.client._imap._new_tag = counting
        assert session.poll() == 0
        assert len(tags) == 1  # a single UID SEARCH, however many messages the box holds
    finally:
        session.close()


def test_uid_range_quirk_does_not_refetch_the_last_message(mail_app, mailbox_id, imap_append):
    imap_append(mail("only one", "一封"))
    ingest(mail_app, mailbox_id)
    # `UID 2:*` matches UID 1 (the highest) on every IMAP server: it must not be stored again.
    assert poll(mail_app, mailbox_id) == 0
    with mail_app.app_context():
        assert count(InboundMessage) == 1


def test_reply_joins_its_item_by_tracking_code_and_by_references(mail_app, mailbox_id, imap_append, smtp_server):
    first_id = make_msgid(domain="example.cn")
    imap_append(mail("窗口办事难", "我去政务大厅办营业执照跑了三次。", message_id=first_id))
    ingest(mail_app, mailbox_id)
    with mail_app.app_context():
        item = db.session.scalar(select(FeedbackItem))
        code = item.tracking_code
        ack_entry = db.session.scalar(select(ThreadEntry).where(ThreadEntry.direction == Direction.outbound))
        assert ack_entry is not None and ack_entry.message_id  # the receipt's own Message-ID
    assert len(smtp_server.messages) == 1

    # By tracking code, behind a chain of prefixes with full-width colons.
    reply_by_code = mail(
        f"=?utf-8?B?{_b64('回复：Re: [' + code + '] 您的反映已收到')}?=",
        "补充一下：今天又去了一次。\r\n\r\n-----原始邮件-----\r\n发件人: 政协民主监督邮箱\r\n发送时间: 2026年11月3日\r\n主题: 您的反映已收到\r\n\r\n旧的内容",
        sender="other@example.cn",
    )
    # By In-Reply-To against the receipt we sent, with an unrelated subject.
    reply_by_reference = mail(
        "Re: hello",
        "On Tue, 3 Nov 2026 at 10:20, 政协 <jdyx@zxzx.gov.cn> wrote:\r\n> quoted",
        extra=f"In-Reply-To: <{ack_entry.message_id}>\r\nReferences: {first_id} <{ack_entry.message_id}>\r\n",
    )
    imap_append(reply_by_code)
    imap_append(reply_by_reference)
    ingest(mail_app, mailbox_id)

    with mail_app.app_context():
        assert count(FeedbackItem) == 1
        entries = db.session.scalars(
            select(ThreadEntry).where(ThreadEntry.direction == Direction.inbound).order_by(ThreadEntry.id)
        ).all()
        assert len(entries) == 3
        assert entries[1].text.startswith("补充一下") and "旧的内容" in entries[1].quoted_text
        assert "旧的内容" not in entries[1].text
        assert entries[2].quoted_text and "quoted" in entries[2].quoted_text
        assert {e.item_id for e in entries} == {item.id}
    # A reply gets no second receipt.
    assert len(smtp_server.messages) == 1


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def test_duplicate_deliveries_make_one_item_and_conflicts_are_flagged(mail_app, mailbox_id, imap_append):
    same = mail("同一封", "同样的内容")
    imap_append(same)
    imap_append(same)  # same bytes twice
    relayed_id = make_msgid(domain="example.cn")
    imap_append(mail("转了两次", "内容一样", message_id=relayed_id, extra="Received: from a by b\r\n"))
    imap_append(mail("转了两次", "内容一样", message_id=relayed_id, extra="Received: from c by d\r\n"))
    reused_id = make_msgid(domain="example.cn")
    imap_append(mail("第一封", "内容甲", message_id=reused_id))
    imap_append(mail("第二封", "内容乙", message_id=reused_id))
    ingest(mail_app, mailbox_id)
    ingest(mail_app, mailbox_id)  # the poller twice over the same mailbox changes nothing

    with mail_app.app_context():
        assert count(InboundMessage) == 6
        assert count(FeedbackItem) == 4
        states = db.session.scalars(select(InboundMessage.state).order_by(InboundMessage.uid)).all()
        assert states.count(InboundState.duplicate) == 2
        flagged = db.session.scalars(select(InboundMessage).where(InboundMessage.message_id_conflict)).all()
        assert len(flagged) == 2 and len({r.item_id for r in flagged}) == 2
        # The byte-identical copy keeps no second copy of the bytes.
        assert db.session.scalar(select(func.count()).where(InboundMessage.raw.is_(None))) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_parse_job_twice_makes_one_item(mail_app, mailbox_id, imap_append):
    from intake.mailbox.jobs import parse_inbound

    imap_append(mail("一次", "只应有一个事项"))
    poll(mail_app, mailbox_id)
    with mail_app.app_context():
        inbound_id = db.session.scalar(select(InboundMessage.id))
        parse_inbound(inbound_id)
        parse_inbound(inbound_id)
        assert count(FeedbackItem) == 1
    drain(mail_app)  # the enqueued copy runs too
    with mail_app.app_context():
        assert count(FeedbackItem) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_uidvalidity_change_rescans_without_duplicates_and_alerts(mail_app, mailbox_id, imap):
    imap.create_folder("Jiandu")
    mail_app.config["IMAP_FOLDER"] = "Jiandu"
    with mail_app.app_context():
        from intake.mailbox.services import ensure_default_mailbox

        ensure_default_mailbox(mail_app.config)
        db.session.commit()
    messages = [mail(f"第{n}封", f"内容{n}") for n in range(3)]
    for raw in messages:
        imap.append("Jiandu", raw)
    ingest(mail_app, mailbox_id)
    with mail_app.app_context():
        before = db.session.get(Mailbox, mailbox_id).uidvalidity
        assert count(FeedbackItem) == 3

    imap.delete_folder("Jiandu")
    imap.create_folder("Jiandu")
    for raw in messages + [mail("新的一封", "新内容")]:
        imap.append("Jiandu", raw)
    ingest(mail_app, mailbox_id)

    with mail_app.app_context():
        mailbox = db.session.get(Mailbox, mailbox_id)
        assert mailbox.uidvalidity != before
        assert mailbox.alert and "UIDVALIDITY" in mailbox.alert
        assert count(FeedbackItem) == 4
        assert db.session.scalar(select(func.count()).where(InboundMessage.state == InboundState.duplicate)) == 3
    assert all(INGESTED in f for f in flags_by_uid(imap, "Jiandu").values())


def test_acknowledgement_once_per_sender_never_to_auto_mail(
    mail_app, mailbox_id, imap_append, smtp_server, client, users, auth
):
    imap_append(mail("第一件事", "内容一", sender="citizen@example.cn"))
    imap_append(mail("第二件事", "内容二", sender="citizen@example.cn"))  # same sender, same window
    imap_append((MAIL / "auto_submitted_reply.eml").read_bytes())
    imap_append((MAIL / "out_of_office_subject_zh.eml").read_bytes())
    ingest(mail_app, mailbox_id)

    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == ["citizen@example.cn"]
    from email import message_from_bytes, policy

    sent = message_from_bytes(envelope.content, policy=policy.default)
    assert sent["Auto-Submitted"] == "auto-replied"
    with mail_app.app_context():
        items = db.session.scalars(select(FeedbackItem).order_by(FeedbackItem.id)).all()
        assert len(items) == 4
        assert sent["Subject"].find(items[0].tracking_code) >= 0
        assert items[0].acknowledged_at and not items[1].acknowledged_at
        assert [i.is_auto for i in items] == [False, False, True, True]
        outbound = db.session.scalar(select(ThreadEntry).where(ThreadEntry.direction == Direction.outbound))
        assert f"<{outbound.message_id}>" == sent["Message-ID"]
        assert sent["In-Reply-To"]  # threads under the reporter's own message
        codes = [i.tracking_code for i in items]

    # Auto mail is kept out of the staff queue unless asked for.
    auth.login("staff")
    page = client.get("/staff/").get_data(as_text=True)
    assert codes[0] in page and codes[1] in page and codes[2] not in page and codes[3] not in page
    page = client.get("/staff/?auto=1").get_data(as_text=True)
    assert codes[2] in page


def test_bounce_marks_the_address_and_stops_receipts(mail_app, mailbox_id, imap_append, smtp_server):
    imap_append((MAIL / "bounce_delivery_status.eml").read_bytes())
    ingest(mail_app, mailbox_id)
    with mail_app.app_context():
        bouncing = db.session.scalars(select(BouncingAddress.address)).all()
        assert "liming@example.cn" in bouncing
    imap_append(mail("我是李明", "又来反映", sender="liming@example.cn"))
    ingest(mail_app, mailbox_id)
    assert smtp_server.messages == []


@pytest.mark.parametrize("backend", ["sqlite"])
def test_oversize_message_is_recorded_marked_and_fetched_anew_on_replay(
    mail_app, mailbox_id, imap_append, imap, runner
):
    mail_app.config["MAX_MESSAGE_MB"] = 1
    imap_append(mail("很大的附件", "大" * 700_000))  # 2.1 MB of UTF-8
    imap_append(mail("小的", "正常"))
    ingest(mail_app, mailbox_id)
    with mail_app.app_context():
        big = db.session.scalar(select(InboundMessage).where(InboundMessage.state == InboundState.oversize))
        assert big.size > 2_000_000 and len(big.raw) < 2000
        assert big.raw.startswith(b"From:") and "很大的附件" not in big.raw.decode("utf-8", "replace")
        assert big.from_addr == "zhangsan@example.cn"
        assert count(FeedbackItem) == 1
        big_id, big_uid = big.id, big.uid
    # The checkpoint passed it: the next poll fetches nothing. Its record is committed, so it
    # is marked on the server like the rest.
    assert poll(mail_app, mailbox_id) == 0
    assert all(INGESTED in f for f in flags_by_uid(imap).values())

    # Replay: over the explicit replay limit it stays as it is, with the reason.
    mail_app.config["MAX_REPLAY_MESSAGE_MB"] = 2
    result = runner.invoke(args=["intake", "quarantine", "replay", str(big_id)])
    assert result.exit_code == 0 and "fetching" in result.output, result.output
    drain(mail_app)
    with mail_app.app_context():
        row = db.session.get(InboundMessage, big_id)
        assert row.state is InboundState.oversize and "MAX_REPLAY_MESSAGE_MB=2" in row.error

    # Within it, the whole message is fetched anew and becomes an item.
    mail_app.config["MAX_REPLAY_MESSAGE_MB"] = 5
    runner.invoke(args=["intake", "quarantine", "replay", str(big_id)])
    drain(mail_app)
    with mail_app.app_context():
        row = db.session.get(InboundMessage, big_id)
        assert row.state is InboundState.parsed and row.uid == big_uid and row.size > 2_000_000
        assert row.item.body.count("大") == 700_000
        assert count(FeedbackItem) == 2


def test_hostile_message_is_quarantined_and_never_blocks_the_next(mail_app, mailbox_id, imap_append, runner):
    imap_append((MAIL / "nesting_bomb_50.eml").read_bytes())
    imap_append(mail("后面的信", "照常处理"))
    ingest(mail_app, mailbox_id)
    with mail_app.app_context():
        row = db.session.scalar(select(InboundMessage).where(InboundMessage.state == InboundState.quarantined))
        assert row is not None and "hostile" in row.error and row.raw
        assert count(FeedbackItem) == 1
        row_id = row.id
    result = runner.invoke(args=["intake", "quarantine", "list"])
    assert result.exit_code == 0 and f"{row_id}\tquarantined" in result.output
    result = runner.invoke(args=["intake", "quarantine", "show", str(row_id)])
    assert "nesting" in result.output and "hostile" in result.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_failing_message_is_quarantined_after_bounded_tries_then_replayed(
    mail_app, mailbox_id, imap_append, runner, tmp_path
):
    from intake.mailbox.jobs import parse_inbound

    mail_app.config["MAIL_MAX_ATTEMPTS"] = 2
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the upload directory should be")
    good_uploads = mail_app.config["UPLOAD_DIR"]
    mail_app.config["UPLOAD_DIR"] = str(blocker / "uploads")  # storing the attachment fails
    imap_append((MAIL / "inline_cid_image.eml").read_bytes())
    poll(mail_app, mailbox_id)
    with mail_app.app_context():
        inbound_id = db.session.scalar(select(InboundMessage.id))
        for _ in range(2):
            with pytest.raises(OSError):
                parse_inbound(inbound_id)
        assert parse_inbound(inbound_id) == "quarantined"
        row = db.session.get(InboundMessage, inbound_id)
        assert row.state is InboundState.quarantined and "gave up after 2 tries" in row.error
        assert count(FeedbackItem) == 0

    mail_app.config["UPLOAD_DIR"] = good_uploads
    result = runner.invoke(args=["intake", "quarantine", "replay", str(inbound_id)])
    assert result.exit_code == 0, result.output
    drain(mail_app)
    with mail_app.app_context():
        assert db.session.get(InboundMessage, inbound_id).state is InboundState.parsed
        assert count(FeedbackItem) == 1
    poll(mail_app, mailbox_id)
    client = imap_client(
        {
            "host": "127.0.0.1",
            "port": mail_app.config["IMAP_PORT"],
            "user": mail_app.config["IMAP_USER"],
            "password": mail_app.config["IMAP_PASSWORD"],
        }
    )
    assert all(INGESTED in f for f in flags_by_uid(client).values())
    client.logout()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_processed_folder_receives_ingested_mail_and_nothing_is_deleted(mail_app, mailbox_id, imap_append, imap):
    mail_app.config["IMAP_PROCESSED_FOLDER"] = "Ingested"
    with mail_app.app_context():
        from intake.mailbox.services import ensure_default_mailbox

        ensure_default_mailbox(mail_app.config)
        db.session.commit()
    imap_append(mail("移走", "处理后移到已处理文件夹"))
    poll(mail_app, mailbox_id)
    assert len(flags_by_uid(imap)) == 1  # not moved before its item is committed
    drain(mail_app)
    poll(mail_app, mailbox_id)
    assert flags_by_uid(imap) == {}
    assert len(flags_by_uid(imap, "Ingested")) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_one_failing_message_does_not_hold_back_its_batch(mail_app, mailbox_id, imap_append, tmp_path):
    from intake.core.jobs import queue
    from intake.mailbox.jobs import parse_inbound_batch

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the upload directory should be")
    good_uploads = mail_app.config["UPLOAD_DIR"]
    mail_app.config["UPLOAD_DIR"] = str(blocker / "uploads")  # storing an attachment fails
    imap_append(mail("第一封", "内容一"))
    imap_append((MAIL / "inline_cid_image.eml").read_bytes())
    imap_append(mail("第三封", "内容三"))
    poll(mail_app, mailbox_id)
    with mail_app.app_context():
        [job] = queue().get_jobs()  # one parse job for the fetched batch
        ids = job.args[0]
        assert len(ids) == 3

        with pytest.raises(OSError):
            parse_inbound_batch(ids)
        rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.uid)).all()
        assert [r.state for r in rows] == [InboundState.parsed, InboundState.stored, InboundState.parsed]
        assert [r.attempts for r in rows] == [1, 1, 1]
        assert "Not a directory" in rows[1].error
        assert count(FeedbackItem) == 2

        # The retry goes one message at a time; only the message still stored is tried again.
        mail_app.config["UPLOAD_DIR"] = good_uploads
        assert parse_inbound_batch(ids) == "1 new item"
        db.session.expire_all()
        assert [r.attempts for r in rows] == [1, 2, 1]
        assert count(FeedbackItem) == 3
        assert parse_inbound_batch(ids) == "3 already handled"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_reply_finds_its_item_by_a_code_with_the_configured_prefix(mail_app, mailbox_id, imap_append):
    mail_app.config["TRACKING_PREFIX"] = "ZX"
    imap_append(mail("窗口办事难", "第一次反映"))
    ingest(mail_app, mailbox_id)
    with mail_app.app_context():
        code = db.session.scalar(select(FeedbackItem.tracking_code))
        assert code.startswith("ZX-")
    imap_append(mail(f"Re: [{code.lower()}] 您的反映已收到", "补充情况", sender="other@example.cn"))
    ingest(mail_app, mailbox_id)
    with mail_app.app_context():
        assert count(FeedbackItem) == 1
        assert count(ThreadEntry) == 2


@pytest.mark.parametrize("backend", ["sqlite"])
def test_oversize_message_moved_to_the_processed_folder_is_found_by_message_id(
    mail_app, mailbox_id, imap_append, imap, runner
):
    mail_app.config.update(MAX_MESSAGE_MB=1, IMAP_PROCESSED_FOLDER="Ingested")
    with mail_app.app_context():
        from intake.mailbox.services import ensure_default_mailbox

        ensure_default_mailbox(mail_app.config)
        db.session.commit()
    imap_append(mail("很大的附件", "大" * 400_000, message_id="<big-one@example.cn>"))
    ingest(mail_app, mailbox_id)
    assert flags_by_uid(imap) == {} and len(flags_by_uid(imap, "Ingested")) == 1  # moved once recorded
    with mail_app.app_context():
        big_id = db.session.scalar(select(InboundMessage.id).where(InboundMessage.state == InboundState.oversize))
    runner.invoke(args=["intake", "quarantine", "replay", str(big_id)])
    drain(mail_app)
    with mail_app.app_context():
        row = db.session.get(InboundMessage, big_id)
        assert row.state is InboundState.parsed and row.item.body.count("大") == 400_000


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_failing_suggestion_step_does_not_hold_back_the_mail(mail_app, mailbox_id, imap_append, tmp_path):
    from intake.core.jobs import TRIAGE, queue
    from intake.feedback.jobs import follow_up_batch
    from intake.mailbox.jobs import parse_inbound_batch
    from intake.triage.models import ItemSuggestion

    broken = tmp_path / "model.joblib"
    broken.write_bytes(b"this is not a model")
    mail_app.config["CLASSIFIER_PATH"] = str(broken)
    imap_append(mail("第一封", "政务大厅窗口排队"))
    imap_append(mail("第二封", "路灯坏了"))
    poll(mail_app, mailbox_id)
    with mail_app.app_context():
        [job] = queue().get_jobs()
        assert parse_inbound_batch(job.args[0]) == "2 new item"
        assert count(FeedbackItem) == 2 and count(ItemSuggestion) == 0
        item_ids = db.session.scalars(select(FeedbackItem.id).order_by(FeedbackItem.id)).all()
        # The items are committed; their follow-up is one job of the triage queue.
        [follow_up] = queue(TRIAGE).get_jobs()
        assert follow_up.args == (item_ids,)
        assert follow_up_batch(item_ids) == "2 followed up, 0 receipt(s) queued"
        assert count(ItemSuggestion) == 0
        assert sorted(queue().job_ids)[-2:] == sorted(f"suggest-item-{i}" for i in item_ids)
        assert db.session.scalar(select(func.count()).where(FeedbackItem.dispatched_at.is_(None))) == 0


def test_one_batch_that_refers_to_itself(mail_app, mailbox_id, imap_append):
    """New reports of a batch are written together; messages of the same batch that refer to
    them (a reply, a second copy, the same Message-ID) still find them."""
    from intake.triage.models import ItemSuggestion

    first_id = make_msgid(domain="example.cn")
    conflict_id = make_msgid(domain="example.cn")
    original = mail("路灯不亮", "东街路灯坏了一个月", message_id=first_id)
    imap_append(mail("窗口排队", "政务大厅排队两小时"))
    imap_append(original)
    imap_append(
        mail(
            "补充",
            "补充一张照片的说明",
            sender="lisi@example.cn",
            extra=f"In-Reply-To: {first_id}\r\nReferences: {first_id}\r\n",
        )
    )
    imap_append(original)  # the same bytes again
    imap_append(mail("问题一", "内容一", message_id=conflict_id))
    imap_append(mail("问题二", "内容二", message_id=conflict_id))  # same Message-ID, other content
    imap_append(mail("表扬", "感谢窗口小王"))

    assert poll(mail_app, mailbox_id) == 7
    with mail_app.app_context():
        from intake.core.jobs import queue

        assert len(queue().get_jobs()) == 1  # one parse job for the whole batch
    drain(mail_app)
    with mail_app.app_context():
        rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.uid)).all()
        assert [r.state for r in rows] == [
            InboundState.parsed,
            InboundState.parsed,
            InboundState.parsed,
            InboundState.duplicate,
            InboundState.parsed,
            InboundState.parsed,
            InboundState.parsed,
        ]
        items = db.session.scalars(select(FeedbackItem).order_by(FeedbackItem.id)).all()
        assert [i.subject for i in items] == ["窗口排队", "路灯不亮", "问题一", "问题二", "表扬"]
        assert [i.number for i in items] == list(range(items[0].number, items[0].number + 5))
        assert rows[2].item_id == rows[1].item_id == rows[3].item_id == items[1].id  # reply and copy joined
        assert [
            e.text
            for e in db.session.scalars(
                select(ThreadEntry).where(ThreadEntry.item_id == items[1].id).order_by(ThreadEntry.id)
            )
        ] == ["东街路灯坏了一个月", "补充一张照片的说明"]
        assert rows[4].message_id_conflict and rows[5].message_id_conflict
        assert rows[4].item_id != rows[5].item_id
        # Every new item got its created event, its reporter and (from the triage queue) suggestions.
        assert all(i.events[0].kind.value == "created" and i.reporter.email for i in items)
        assert count(ItemSuggestion) == 5
        assert db.session.scalar(select(func.count()).where(FeedbackItem.dispatched_at.is_(None))) == 0


def test_photos_sent_in_a_reply_are_kept_with_the_item(mail_app, mailbox_id, imap_append):
    from intake.feedback.models import Attachment
    from intake.storage import path_for

    first_id = make_msgid(domain="example.cn")
    imap_append(mail("路灯不亮", "东街路灯坏了", message_id=first_id))
    ingest(mail_app, mailbox_id)
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    import base64

    reply = (
        "From: zhangsan@example.cn\r\nTo: jdyx@zxzx.gov.cn\r\nSubject: Re: =?utf-8?B?" + _b64("路灯不亮") + "?=\r\n"
        f"Message-ID: {make_msgid(domain='example.cn')}\r\nIn-Reply-To: {first_id}\r\nReferences: {first_id}\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _b64("补充现场照片")
        + "\r\n"
        '--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename="=?GB2312?B?'
        + base64.b64encode("现场.jpg".encode("gb2312")).decode()
        + '?="\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(photo).decode().replace("\n", "\r\n")
        + "--b--\r\n"
    ).encode()
    imap_append(reply)
    ingest(mail_app, mailbox_id)
    with mail_app.app_context():
        [item] = db.session.scalars(select(FeedbackItem)).all()
        [attachment] = db.session.scalars(select(Attachment)).all()
        assert attachment.item_id == item.id and attachment.original_name == "现场.jpg"
        assert path_for(attachment.stored_name).read_bytes() == photo
        assert "1 attachment(s)" in item.events[-1].note
        assert count(ThreadEntry) == 2
        event_id = item.events[-1].id
    # The history line in the staff's language (it used to stay English).
    from intake.feedback.models import Event

    for locale, says in (
        ("zh_Hans", "收到同一邮件往来中的来信"),
        ("zh_Hant", "收到同一郵件往來中的來信"),
        ("en", "Mail received"),
    ):
        with mail_app.test_request_context(headers={"Accept-Language": locale.replace("_", "-")}):
            from flask_babel import force_locale

            with force_locale(locale):
                note = db.session.get(Event, event_id).display_note
                assert says in note and "attachment(s)" not in note


class WorkerKilled(BaseException):
    """What a worker dying while it parses looks like from inside: nothing after it runs."""


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_message_past_its_tries_goes_to_quarantine_unparsed(app, monkeypatch):
    """Each try is counted and committed before it is made; the try past MAIL_MAX_ATTEMPTS must
    not parse again, since parsing may be what kills the worker every time."""
    from intake.mailbox import ingest, receiving
    from intake.mailbox.jobs import parse_inbound

    with app.app_context():
        row_id = receiving.store_imported(mail("毒", "每次解析都让进程退出")).id
        db.session.execute(
            update(InboundMessage).where(InboundMessage.id == row_id).values(attempts=app.config["MAIL_MAX_ATTEMPTS"])
        )
        db.session.commit()
        parsed = []

        def dies(raw):
            parsed.append(raw)
            raise WorkerKilled()

        monkeypatch.setattr(ingest, "parse_message", dies)
        assert parse_inbound(row_id) == "quarantined"
        assert parsed == []
        row = db.session.get(InboundMessage, row_id)
        assert row.state is InboundState.quarantined and "gave up after" in row.error


def test_a_copy_of_a_message_that_failed_waits_with_it(mail_app, mailbox_id, imap_append, tmp_path):
    """Same bytes twice in one batch, and the first fails: the copy is not ingested in its
    place behind the batch's back; both are retried, and end as one item and one duplicate."""
    from intake.core.jobs import queue
    from intake.mailbox.jobs import parse_inbound_batch

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the upload directory should be")
    good_uploads = mail_app.config["UPLOAD_DIR"]
    mail_app.config["UPLOAD_DIR"] = str(blocker / "uploads")  # storing an attachment fails
    photo_mail = (MAIL / "inline_cid_image.eml").read_bytes()
    imap_append(photo_mail)
    imap_append(photo_mail)
    poll(mail_app, mailbox_id)
    with mail_app.app_context():
        [job] = queue().get_jobs()
        ids = job.args[0]
        with pytest.raises(OSError):
            parse_inbound_batch(ids)
        rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.uid)).all()
        assert [r.state for r in rows] == [InboundState.stored, InboundState.stored]
        assert "original" in rows[1].error and count(FeedbackItem) == 0

        mail_app.config["UPLOAD_DIR"] = good_uploads
        assert parse_inbound_batch(ids) == "1 new item, 1 same bytes as an earlier message"
        db.session.expire_all()
        assert [r.state for r in rows] == [InboundState.parsed, InboundState.duplicate]
        assert rows[0].item_id == rows[1].item_id and count(FeedbackItem) == 1
