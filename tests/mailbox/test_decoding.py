"""Decoding real-world mail bytes: charsets, headers, bodies, attachments and hostile structures."""

from __future__ import annotations

import base64
import struct
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from intake.mailbox.decoding.charsets import decode_bytes, normalize_charset
from intake.mailbox.decoding.filenames import sanitize_filename
from intake.mailbox.decoding.headers import decode_header
from intake.mailbox.decoding.html import html_to_text, sanitize_html
from intake.mailbox.decoding.parsed import HostileMessage, MailParseError
from intake.mailbox.decoding.parsing import parse_message

MAIL_DIR = Path(__file__).resolve().parent.parent / "data" / "mail"


def load(name: str) -> bytes:
    return (MAIL_DIR / (name + ".eml")).read_bytes()


def parse(name: str):
    return parse_message(load(name))


# --- charsets of the body ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, text, charset",
    [
        (
            "gbk_body_labelled_gb2312",
            "我叫王镕，和同事张喆、李堃一起去政务服务大厅办理营业执照，跑了三次还没办好。",
            "gb18030",
        ),
        ("big5_traditional", "鎮雄縣政協民主監督郵箱：便民窗口服務態度很好，只跑一次就辦完了。", "big5hkscs"),
        ("big5hkscs_labelled_big5", "佢哋話𨋢壞咗，啲人要行樓梯。", "big5hkscs"),
        ("utf8_8bit_body", "营商环境改善了不少，审批时间从二十天缩短到五天。", "utf-8"),
        ("utf8_base64_body", "县工科局的企业服务窗口下午三点就关门了，希望延长办公时间。", "utf-8"),
        ("gb18030_four_byte", "姓名：吉𠮷，生僻字𠀀与䶮都要能正确保存。", "gb18030"),
        ("ks_c_5601_korean", "안녕하세요, 민원 접수 확인 부탁드립니다. 똠방각하", "cp949"),
        ("mislabelled_utf8_is_gbk", "窗口工作人员上班时间玩手机，群众等了很久。", "gb18030"),
    ],
)
def test_body_charset(case, text, charset):
    parsed = parse(case)
    assert parsed.text == text
    assert parsed.charset == charset
    assert parsed.lossy is False


def test_traditional_chinese_is_not_converted():
    parsed = parse("big5_traditional")
    assert "鎮雄縣" in parsed.text and "镇雄县" not in parsed.text
    assert parsed.subject == "表揚便民窗口"


def test_mislabelled_charset_is_marked():
    parsed = parse("mislabelled_utf8_is_gbk")
    assert parsed.declared_charset == "utf-8"
    assert parsed.charset_mismatch is True
    assert parse("gbk_body_labelled_gb2312").charset_mismatch is False


def test_ascii_stays_ascii():
    assert decode_bytes(b"hello", "iso-8859-1").charset == "us-ascii"
    assert decode_bytes(b"hello", "us-ascii").text == "hello"


@pytest.mark.parametrize(
    "label, expected",
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("x-gbk", "gb18030"),
        ("cp936", "gb18030"),
        ("euc-cn", "gb18030"),
        ("csgb2312", "gb18030"),
        ("chinese", "gb18030"),
        ('"gb2312"', "gb18030"),
        ("big5", "big5hkscs"),
        ("big5-hkscs", "big5hkscs"),
        ("x-big5", "big5hkscs"),
        ("cn-big5", "big5hkscs"),
        ("ks_c_5601-1987", "cp949"),
        ("iso-8859-1", "cp1252"),
        ("latin1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("ascii", "cp1252"),
        ("utf8", "utf-8"),
        ("x-unknown", None),
        ("", None),
        (None, None),
        ("unicode_escape", None),
        ("base64", None),
        ("rot13", None),
    ],
)
def test_normalize_charset(label, expected):
    assert normalize_charset(label) == expected


def test_decode_chain_and_lossy_fallback():
    assert decode_bytes("镕".encode("gbk"), "gb2312").text == "镕"
    assert decode_bytes("港".encode("big5"), None).charset in ("gb18030", "big5hkscs")
    assert decode_bytes("中文".encode(), "us-ascii").charset == "utf-8"
    broken = decode_bytes(b"\x80\xff" * 5, "utf-8", detect=False)
    assert broken.lossy is True and "\ufffd" in broken.text


# --- headers ----------------------------------------------------------------------------------


def test_gbk_characters_in_gb2312_encoded_word():
    parsed = parse("gbk_body_labelled_gb2312")
    assert parsed.subject == "窗口工作人员吴喆态度问题"
    assert parsed.from_name == "王镕"
    assert parsed.from_addr == "wangrong@example.cn"
    assert parsed.message_id == "20261103102000.1234@example.cn"
    assert parsed.date == datetime(2026, 11, 3, 10, 20, tzinfo=timezone(timedelta(hours=8)))


def test_raw_8bit_gbk_subject_and_from():
    parsed = parse("raw_8bit_gbk_subject_from")
    assert parsed.subject == "关于县工科局办事拖延的反映"
    assert parsed.from_name == "张三"
    assert parsed.from_addr == "zhangsan@example.cn"
    assert "Subject: 关于县工科局办事拖延的反映" in parsed.headers_raw


def test_raw_8bit_utf8_subject_beats_gb_hint():
    parsed = parse("raw_8bit_utf8_subject")
    assert parsed.subject == "你好，窗口排队太久"
    assert parsed.from_name == "李四"
    assert parsed.text == "排队两个小时。"


def test_encoded_words_split_mid_character_and_without_spaces():
    parsed = parse("rfc2047_split_mid_character")
    assert parsed.subject == "反映窗口工作人员态度"
    assert parsed.from_name == "王五"
    assert parsed.from_addr == "wangwu@example.cn"


@pytest.mark.parametrize(
    "raw, expected",
    [
        (b"=?utf-8?q?abc?=", "abc"),
        (b"=?UTF-8?Q?a_b?= =?UTF-8?Q?c?=", "a bc"),
        (b"Re: =?gb2312?B?1tDOxA==?= end", "Re: 中文 end"),
        (b"=?GB2312?B?1tDOxA?=", "中文"),  # missing padding
        (b"=?x-unknown?B?5Lit5paH?=", "中文"),
        (b"=?utf-8*zh-cn?B?5Lit5paH?=", "中文"),
        (b"=?utf-8?B?5Lit?==?gbk?B?zsQ=?=", "中文"),
        (b"plain \x00 text\r\n folded", "plain   text folded"),
        (b"=?utf-8?B?!!!?=", ""),
    ],
)
def test_decode_header(raw, expected):
    assert decode_header(raw) == expected


def test_broken_message_id_does_not_raise():
    parsed = parse("broken_message_id")
    assert parsed.message_id == "[x@microsoft.com]"
    assert parsed.in_reply_to == "[y@microsoft.com]"
    assert parsed.references == ["a@b.example", "[z@microsoft.com]"]
    assert parsed.date is None


def test_no_subject_no_from():
    parsed = parse("no_subject_no_from")
    assert parsed.subject == ""
    assert parsed.from_addr is None and parsed.from_name is None
    assert parsed.text == "没有主题也没有发件人。"
    assert parsed.to_addrs == ["jdyx@zxzx.gov.cn"]


def test_empty_body():
    parsed = parse("empty_body")
    assert parsed.text == "" and parsed.html is None and parsed.attachments == []
    assert parsed.size == len(load("empty_body"))


def test_zoneless_date_is_china_standard_time():
    raw = b"From: a@b.cn\r\nDate: 2026-11-03 10:20:00\r\n\r\nx"
    assert parse_message(raw).date == datetime(2026, 11, 3, 10, 20, tzinfo=timezone(timedelta(hours=8)))


# --- bodies -----------------------------------------------------------------------------------


def test_html_only_mail_is_sanitized_and_readable():
    parsed = parse("html_only_hostile")
    html = parsed.html
    for forbidden in (
        "<script",
        "alert",
        "onerror",
        "onload",
        "javascript:",
        "tracker.example.com",
        "style",
        "iframe",
        "evil.example.com",
        "relative/page.html",
        "标题不应出现",
    ):
        assert forbidden not in html
    assert 'href="https://www.zx.gov.cn/"' in html
    assert 'href="mailto:jdyx@zxzx.gov.cn"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert 'alt="跟踪像素"' in html
    assert parsed.text.startswith("尊敬的政协：\n\n窗口 工作人员&保安\n态度很差。")
    assert "alert" not in parsed.text and "display:none" not in parsed.text and "标题" not in parsed.text
    assert "第一条\n第二条" in parsed.text


def test_qq_alternative_prefers_plain_and_keeps_html():
    parsed = parse("qq_multipart_alternative")
    assert parsed.text == "政务服务大厅的自助机经常坏，希望尽快维修。"
    assert parsed.html == "<div>政务服务大厅的<b>自助机</b>经常坏，希望尽快维修。</div>"
    assert parsed.from_name == "张三" and parsed.from_addr == "123456@qq.com"
    assert parsed.subject == "自助机故障"
    assert parsed.message_id == "tencent_5E6F7A8B9C0D1E2F@qq.com"


def test_html_to_text():
    assert html_to_text("<p>a</p><p>b<br>c</p><script>x</script>&lt;d&gt;&#20013;") == "a\n\nb\nc\n\n<d>中"
    assert html_to_text("<ul><li>一</li><li>二</li></ul>") == "一\n二"
    assert html_to_text("<pre>keep\nlines</pre>") == "keep\nlines"
    assert html_to_text("<p>\u3000\u3000全角缩进保留</p>") == "\u3000\u3000全角缩进保留"


def test_deeply_nested_html_is_flattened_not_parsed():
    started = time.monotonic()
    clean = sanitize_html("<div>" * 200_000 + "深层嵌套")
    assert clean == "<pre>深层嵌套</pre>"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "html",
    [
        "<b><i><u><s>" * 60_000 + "x" + "</p>" * 60_000,  # adoption agency on stray end tags
        "<b " + " ".join("a%d" % i for i in range(100_000)) + ">x",  # one tag, many attributes
        "&a" * 400_000,  # failed character references
        "<a" * 300_000,  # unterminated tags: Python's HTMLParser is quadratic here
    ],
    ids=["formatting", "attributes", "references", "unterminated"],
)
def test_html_that_would_be_slow_to_parse_is_shown_as_text(html):
    started = time.monotonic()
    assert sanitize_html(html).startswith("<pre>")
    html_to_text(html)
    assert time.monotonic() - started < 10


def test_sanitize_html_keeps_cid_images_only():
    clean = sanitize_html('<img src="cid:a@b"><img src="https://x/y.png" alt="y"><img src="data:image/png;base64,AA">')
    assert 'src="cid:a@b"' in clean
    assert "https://x" not in clean and "data:" not in clean


# --- attachments ------------------------------------------------------------------------------


def test_outlook_encoded_word_inside_quoted_filename():
    (attachment,) = parse("outlook_quoted_encoded_filename").attachments
    assert attachment.filename == "整改报告.docx"
    assert attachment.content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert attachment.payload == b"PK\x03\x04 not really a docx"
    assert attachment.is_inline is False


def test_rfc2231_filenames_with_continuation():
    photo, notice = parse("rfc2231_filename_continuation").attachments
    assert photo.filename == "政务服务大厅排队照片.jpg"
    assert photo.payload.startswith(b"\xff\xd8")
    assert notice.filename == "整改通知.pdf"


def test_raw_8bit_gbk_filename():
    (attachment,) = parse("raw_8bit_gbk_filename").attachments
    assert attachment.filename == "现场照片.jpg"


def test_forwarded_message_kept_as_eml():
    parsed = parse("forwarded_message_rfc822")
    assert parsed.text == "转发一封反映信，请查收。"
    (forwarded,) = parsed.attachments
    assert forwarded.filename == "关于便民窗口_午休无人的反映.eml"
    assert forwarded.content_type == "message/rfc822"
    inner = parse_message(forwarded.payload)
    assert inner.subject == "关于便民窗口/午休无人的反映"
    assert inner.text == "中午十二点到两点窗口没人。"


def test_winmail_dat_is_unpacked():
    parsed = parse("winmail_dat_tnef")
    assert [(a.filename, a.payload) for a in parsed.attachments] == [
        ("report.txt", b"plain report"),
        ("整改材料.txt", b"gbk title"),
    ]
    assert parsed.attachments[0].content_type == "text/plain"
    assert parsed.text == "Outlook RTF mail."


def test_winmail_dat_body_used_when_no_other_text():
    raw = load("winmail_dat_tnef")
    text_part_start = raw.index(b"Content-Type: text/plain")
    text_part_end = raw.index(b"--", text_part_start)
    parsed = parse_message(raw[:text_part_start] + b"Content-Type: text/plain\r\n\r\n\r\n" + raw[text_part_end:])
    assert parsed.text == "正文：请见附件。"
    assert len(parsed.attachments) == 2


def test_broken_winmail_dat_is_kept_with_its_name():
    (attachment,) = parse("winmail_dat_broken").attachments
    assert attachment.filename == "winmail.dat"
    assert attachment.content_type == "application/ms-tnef"
    assert attachment.payload == b"this is not TNEF at all"


def _winmail_only(tnef: bytes) -> bytes:
    return (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b'Content-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(tnef)
        + b"\r\n--b--\r\n"
    )


def _tnef_object(level: int, name: int, kind: int, data: bytes) -> bytes:
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


@pytest.mark.parametrize(
    "mapi",
    [
        struct.pack("<I", 0xFFFFFFFF) + b"\x02\x00\x01\x00",  # forged property count
        struct.pack("<IHHI", 1, 0x1002, 0x0001, 0xFFFFFFFF),  # forged multi-value count of shorts
    ],
)
def test_forged_tnef_counts_cannot_hang_the_parser(mapi):
    tnef = struct.pack("<IH", 0x223E9F78, 1) + _tnef_object(1, 0x9003, 0x0006, mapi)
    started = time.monotonic()
    (attachment,) = parse_message(_winmail_only(tnef)).attachments
    assert attachment.filename == "winmail.dat"
    assert time.monotonic() - started < 20


def test_forged_tnef_fixture_keeps_winmail_dat():
    parsed = parse("winmail_dat_forged_count")
    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]
    assert parsed.text == "Outlook RTF mail."


def test_inline_cid_image():
    parsed = parse("inline_cid_image")
    (image,) = parsed.attachments
    assert image.is_inline is True
    assert image.content_id == "photo001@zxzx"
    assert image.payload.startswith(b"\x89PNG")
    assert 'src="cid:photo001@zxzx"' in parsed.html


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\wang\\Desktop\\报告.doc", "报告.doc"),
        ("a\x00b\r\nc.txt", "abc.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("  ..hidden  ", "hidden"),
        ("CON.txt", "_CON.txt"),
        ('what?<>|".txt', "what_____.txt"),
        ("", "attachment"),
        (None, "attachment"),
        ("/", "attachment"),
    ],
)
def test_sanitize_filename(name, expected):
    assert sanitize_filename(name) == expected


def test_sanitize_filename_bounds_length_and_keeps_extension():
    name = sanitize_filename("很长的文件名" * 50 + ".docx")
    assert name.endswith(".docx") and len(name.encode("utf-8")) <= 200 and name.startswith("很长的文件名")


# --- hostile structures -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "case, reason",
    [
        ("nesting_bomb_50", "nesting"),
        ("many_parts_bomb", "parts"),
        ("long_header_line", "header"),
    ],
)
def test_hostile_messages_are_refused(case, reason):
    with pytest.raises(HostileMessage) as caught:
        parse(case)
    assert reason in caught.value.reason
    assert isinstance(caught.value, MailParseError)


def test_limits_are_configurable():
    assert parse_message(load("nesting_bomb_50"), max_depth=60).text == "innermost"
    assert len(parse_message(load("many_parts_bomb"), max_parts=700).text.splitlines()) == 600
    with pytest.raises(HostileMessage):
        parse_message(load("qq_multipart_alternative"), max_depth=0)


def test_long_header_inside_a_part_is_refused():
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nX-Long: '
        + b"a" * 70_000
        + b"\r\n\r\nbody\r\n--b--\r\n"
    )
    with pytest.raises(HostileMessage):
        parse_message(raw)


def test_very_deep_nesting_cannot_blow_the_stack():
    raw = b"".join(b'Content-Type: multipart/mixed; boundary="%d"\r\n\r\n--%d\r\n' % (i, i) for i in range(3000))
    with pytest.raises(HostileMessage):
        parse_message(raw)


@pytest.mark.parametrize("raw", ["a string", None, 42])
def test_non_bytes_input_is_a_parse_error(raw):
    with pytest.raises(MailParseError):
        parse_message(raw)


def test_every_fixture_parses_or_is_refused():
    for path in sorted(MAIL_DIR.glob("*.eml")):
        try:
            parsed = parse_message(path.read_bytes())
        except HostileMessage:
            continue
        assert parsed.size == path.stat().st_size
        assert "\x00" not in parsed.text


def test_eight_bit_bytes_in_a_content_type_make_it_the_default():
    # Found by the pipeline property test: the stdlib keeps "/\x80" as the type, with a lone
    # surrogate no database driver accepts.
    raw = (
        b'From: a@example.cn\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        b"--b\r\nContent-Type: /\x80\r\nContent-Disposition: attachment\r\n\r\nzz\r\n--b--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.text == "hi"
    assert [a.content_type for a in parsed.attachments] == ["text/plain"]
