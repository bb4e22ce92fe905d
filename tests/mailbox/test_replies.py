"""Tracking codes in subjects and the split of a reply into new and quoted text."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.mailbox.decoding.parsing import parse_message
from intake.mailbox.replies import find_tracking_code, split_reply, strip_subject_prefixes

MAIL_DIR = Path(__file__).resolve().parent.parent / "data" / "mail"


def parse(name: str):
    return parse_message((MAIL_DIR / (name + ".eml")).read_bytes())


@pytest.mark.parametrize(
    "subject, code",
    [
        ("JD-2026-000123", "JD-2026-000123"),
        ("回复：【已受理】JD-2026-000123 关于窗口排队的反映", "JD-2026-000123"),
        ("Re: RE: 回复: 答复：Fwd: jd-2026-000123", "JD-2026-000123"),
        ("轉寄：回覆：JD－2026－000123", "JD-2026-000123"),  # full-width hyphens
        ("FW: ＪＤ－２０２６－０００１２３", "JD-2026-000123"),  # full-width letters and digits
        ("Re: JD\u20102026\u2013000123", "JD-2026-000123"),  # hyphen and en dash
        ("[JD-2026-000777] Window hours", "JD-2026-000777"),
        ("编号JD-2026-000123请查收", "JD-2026-000123"),
        ("XJD-2026-000123", None),
        ("JD-2026-0001234", None),
        ("JD-26-000123", None),
        ("关于窗口的反映", None),
        ("", None),
        (None, None),
    ],
)
def test_find_tracking_code(subject, code):
    assert find_tracking_code(subject) == code


@pytest.mark.parametrize(
    "subject, prefix, code",
    [
        ("回复：ZX-2026-000123", "ZX", "ZX-2026-000123"),
        ("Re: zx－２０２６－000123", "ZX", "ZX-2026-000123"),
        ("Re: JD-2026-000123", "ZX", None),  # another prefix is not ours
        ("Re: ZX-2026-000123", "JD", None),
        ("Re: JZJD-2026-000045", "JZJD", "JZJD-2026-000045"),
        ("Re: XJZJD-2026-000045", "JZJD", None),
        ("Re: JXD-2026-000045", "J.D", None),  # the prefix is text, not a pattern
        ("Re: J.D-2026-000045", "J.D", "J.D-2026-000045"),
    ],
)
def test_find_tracking_code_with_the_configured_prefix(subject, prefix, code):
    assert find_tracking_code(subject, prefix) == code


@pytest.mark.parametrize(
    "subject, stripped",
    [
        ("Re: RE: 回复: 答复：Fwd: 关于窗口", "关于窗口"),
        ("回复：【已受理】JD-2026-000123 关于窗口排队的反映", "【已受理】JD-2026-000123 关于窗口排队的反映"),
        ("轉寄: 回覆： 轉寄：主題", "主題"),
        ("FW: Fw: fwd: subject", "subject"),
        ("Re[2]: Re(3): subject", "subject"),
        ("Re：full-width colon", "full-width colon"),
        ("Regarding the window", "Regarding the window"),
        ("Re:", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_strip_subject_prefixes(subject, stripped):
    assert strip_subject_prefixes(subject) == stripped


def test_qq_reply_fixture():
    parsed = parse("qq_reply_tracking_code")
    assert find_tracking_code(parsed.subject) == "JD-2026-000123"
    new, quoted = split_reply(parsed.text)
    assert new == "好的，谢谢，已经办好了。"
    assert quoted.startswith("------------------ 原始邮件 ------------------\n发件人:")
    assert quoted.endswith("您好，您反映的问题已受理。")


def test_outlook_chinese_reply_fixture():
    parsed = parse("outlook_chinese_reply")
    assert find_tracking_code(parsed.subject) == "JD-2026-000045"
    assert strip_subject_prefixes(parsed.subject) == "JD-2026-000045 整改情况"
    new, quoted = split_reply(parsed.text)
    assert new == "整改已经落实，窗口增加了两名工作人员。"
    assert quoted.startswith("________________________________\n发件人: 县政协民主监督邮箱")


def test_gmail_reply_fixture_with_wrapped_attribution():
    parsed = parse("gmail_on_wrote_reply")
    assert find_tracking_code(parsed.subject) == "JD-2026-000777"
    new, quoted = split_reply(parsed.text)
    assert new == "Thanks, the window now opens at 8:30."
    assert quoted.startswith("On Tue, Nov 3, 2026 at 10:20 AM County CPPCC Mailbox <")
    assert "> Your report JD-2026-000777 was accepted." in quoted


@pytest.mark.parametrize(
    "text, new",
    [
        ("谢谢\n\n-----原始邮件-----\n发件人: a\n", "谢谢"),
        ("谢谢\n\n-----Original Message-----\nFrom: a\n", "谢谢"),
        ("谢谢\n-----邮件原件-----\n发件人: a\n", "谢谢"),
        ("Thanks\n\nFrom: Mailbox <a@b.cn>\nSent: Tuesday\nTo: me\nSubject: x\n\nold", "Thanks"),
        ("收到\n發件人: 信箱\n發送時間: 2026年11月3日\n主題: x\nold", "收到"),
        ('好的\n\n在 2026-11-03 10:20:00，"信箱" <a@b.cn> 写道：\n> 旧内容', "好的"),
        ("好的\n\n信箱 <a@b.cn> 于2026年11月3日周二 10:20写道：\n\n> 旧内容", "好的"),
        ("好的\n\n於 2026年11月3日 上午10:20，信箱 寫道：\n> 舊內容", "好的"),
        ("好的\n在 2026年11月3日 10:20，\n信箱 <a@b.cn> 写道：\n> 旧内容", "好的"),
        ("OK\n\nOn 11/3/26 10:20 AM, Mailbox wrote:\n> old", "OK"),
    ],
)
def test_split_on_quote_headers(text, new):
    assert split_reply(text)[0] == new
    assert split_reply(text)[1]


@pytest.mark.parametrize(
    "text",
    [
        "发件人：张三\n我要反映窗口的问题。",  # a letter that names its sender is not a quote
        "在上次信中我写道：\n窗口排队太久。",  # no date, time or address: a sentence, not an attribution
        "On Monday the clerk wrote:\nplease wait.",
        "",
    ],
)
def test_no_false_split(text):
    assert split_reply(text) == (text.strip(), "")


def test_interleaved_gt_quotes():
    text = "> 问题一\n答复一\n> 问题二\n答复二"
    assert split_reply(text) == ("答复一\n答复二", "> 问题一\n> 问题二")


def test_trailing_gt_quotes_and_crlf():
    assert split_reply("new words\r\n\r\n> old\r\n> older\r\n") == ("new words", "> old\n> older")
