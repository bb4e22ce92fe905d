"""Machine-sent mail (auto-replies, lists, bounces) is recognised with a reason."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

import pytest

from intake.mailbox.automail import bounce_recipients, classify_auto
from intake.mailbox.decoding.parsing import parse_message

MAIL_DIR = Path(__file__).resolve().parent.parent / "data" / "mail"


def load(name: str) -> bytes:
    return (MAIL_DIR / (name + ".eml")).read_bytes()


def stdlib_message(raw: bytes):
    return BytesParser(policy=compat32).parsebytes(raw)


@pytest.mark.parametrize(
    "case, reason",
    [
        ("auto_submitted_reply", "auto-submitted"),
        ("out_of_office_subject_zh", "auto-subject"),
        ("bounce_delivery_status", "bounce"),
        ("mailing_list", "list"),
        ("gbk_body_labelled_gb2312", None),
        ("qq_reply_tracking_code", None),
        ("gmail_on_wrote_reply", None),
    ],
)
def test_fixture_classification(case, reason):
    parsed = parse_message(load(case))
    assert parsed.auto_reason == reason
    assert parsed.is_auto is (reason is not None)


def test_bounce_recipients_from_delivery_status():
    parsed = parse_message(load("bounce_delivery_status"))
    assert parsed.bounce_recipients == ["liming@example.cn", "zhao@example.cn"]
    assert bounce_recipients(stdlib_message(load("bounce_delivery_status"))) == parsed.bounce_recipients


def test_x_failed_recipients_header():
    msg = stdlib_message(b"From: a@b.cn\r\nX-Failed-Recipients: One@X.cn, two@y.cn\r\n\r\nx")
    assert bounce_recipients(msg) == ["one@x.cn", "two@y.cn"]


def headers(*lines: str, subject: str = "关于窗口的反映", sender: str = "zhang@example.cn") -> bytes:
    return ("\r\n".join([f"From: {sender}", *lines]) + "\r\n\r\nbody").encode("utf-8")


@pytest.mark.parametrize(
    "raw, reason",
    [
        (headers("Auto-Submitted: auto-generated"), "auto-submitted"),
        (headers("Auto-Submitted: auto-replied; owner-email=x@y.cn"), "auto-submitted"),
        (headers("Auto-Submitted: no"), None),
        (headers("Auto-Submitted: No"), None),
        (headers("X-Autoreply: yes"), "autoreply-header"),
        (headers("X-Autorespond: yes"), "autoreply-header"),
        (headers("X-Autoreply-From: a@b.cn"), "autoreply-header"),
        (headers("X-Auto-Response-Suppress: All"), "auto-response-suppress"),
        (headers("Precedence: bulk"), "precedence"),
        (headers("Precedence: junk"), "precedence"),
        (headers("Precedence: list"), "precedence"),
        (headers("Precedence: auto_reply"), "precedence"),
        (headers("Precedence: first-class"), None),
        (headers("List-Id: <x.example>"), "list"),
        (headers("List-Unsubscribe: <mailto:u@x>"), "list"),
        (headers("Return-Path: <>"), "null-return-path"),
        (headers("Return-Path: <a@b.cn>"), None),
        (headers(sender="MAILER-DAEMON@mx.example.cn"), "noreply-sender"),
        (headers(sender="postmaster@example.cn"), "noreply-sender"),
        (headers(sender="no-reply@example.cn"), "noreply-sender"),
        (headers(sender="NoReply@example.cn"), "noreply-sender"),
        (headers(sender="do-not-reply@example.cn"), "noreply-sender"),
        (headers(sender="donotreply@example.cn"), "noreply-sender"),
        (headers(sender="replyman@example.cn"), None),
    ],
)
def test_header_and_sender_rules(raw, reason):
    assert classify_auto(stdlib_message(raw)) == (reason is not None, reason)


@pytest.mark.parametrize(
    "subject, reason",
    [
        ("自动回复: 关于窗口的反映", "auto-subject"),
        ("自動回覆：關於窗口的反映", "auto-subject"),
        ("自动答复: 反映", "auto-subject"),
        ("Automatic reply: complaint", "auto-subject"),
        ("Auto Reply: complaint", "auto-subject"),
        ("Out of Office: complaint", "auto-subject"),
        ("休假: 12月1日返回", "auto-subject"),
        ("Undeliverable: complaint", "bounce"),
        ("退信: 关于窗口的反映", "bounce"),
        ("系统退信", "bounce"),
        ("Delivery Status Notification (Failure)", "bounce"),
        # A citizen mentioning these words mid-subject is a person, not a machine.
        ("关于休假期间窗口无人的问题", None),
        ("Re: who is out of office at the window?", None),
        ("投诉：窗口说我的材料被退信了", None),
    ],
)
def test_subject_rules(subject, reason):
    msg = stdlib_message(b"From: a@b.cn\r\n\r\nx")
    assert classify_auto(msg, subject=subject, from_addr="a@b.cn") == (reason is not None, reason)


def test_subject_falls_back_to_stdlib_decoding():
    msg = stdlib_message(b"From: a@b.cn\r\nSubject: =?utf-8?B?6Ieq5Yqo5Zue5aSNOiB4?=\r\n\r\nx")
    assert classify_auto(msg) == (True, "auto-subject")


def test_read_receipt():
    raw = (
        b"From: a@b.cn\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=x\r\n\r\n"
        b"--x\r\nContent-Type: text/plain\r\n\r\nread\r\n--x\r\n"
        b"Content-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822; a@b.cn\r\n\r\n--x--\r\n"
    )
    assert classify_auto(stdlib_message(raw)) == (True, "read-receipt")
