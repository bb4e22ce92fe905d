"""Write the raw .eml fixtures of the mailbox decoding tests, byte for byte as real mailers send them.

Run `python tests/data/mail/make_fixtures.py` after changing a case; the .eml files are committed.
"""

from __future__ import annotations

import base64
import quopri
import struct
from pathlib import Path
from urllib.parse import quote_from_bytes

HERE = Path(__file__).resolve().parent
CRLF = b"\r\n"

# A valid 1x1 transparent PNG.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", CRLF)


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", CRLF)


def qp(data: bytes) -> bytes:
    return quopri.encodestring(data).replace(b"\n", CRLF)


def word(text: str, charset: str, encoding: str = "B") -> bytes:
    """One RFC 2047 encoded word."""
    data = text.encode(charset)
    if encoding.upper() == "B":
        payload = base64.b64encode(data)
    else:
        payload = b"".join(b"%c" % c if c < 128 and chr(c).isalnum() else b"=%02X" % c for c in data)
    return b"=?" + charset.encode() + b"?" + encoding.encode() + b"?" + payload + b"?="


def message(headers: list[bytes], body: bytes = b"") -> bytes:
    return CRLF.join(headers) + CRLF + CRLF + body


COMMON = [
    b"To: jdyx@zxzx.gov.cn",
    b"Date: Tue, 03 Nov 2026 10:20:00 +0800",
    b"MIME-Version: 1.0",
]


def gbk_body_labelled_gb2312() -> bytes:
    body = "我叫王镕，和同事张喆、李堃一起去政务服务大厅办理营业执照，跑了三次还没办好。\n"
    return message(
        [
            b"From: =?gb2312?B?" + base64.b64encode("王镕".encode("gbk")) + b"?= <wangrong@example.cn>",
            *COMMON,
            b"Subject: " + word("窗口工作人员吴喆态度问题", "gbk").replace(b"?gbk?", b"?gb2312?"),
            b"Message-ID: <20261103102000.1234@example.cn>",
            b'Content-Type: text/plain; charset="gb2312"',
            b"Content-Transfer-Encoding: 8bit",
        ],
        crlf(body.encode("gbk")),
    )


def big5_traditional() -> bytes:
    body = "鎮雄縣政協民主監督郵箱：便民窗口服務態度很好，只跑一次就辦完了。\n"
    return message(
        [
            b"From: Chen <chen@example.tw>",
            *COMMON,
            b"Subject: " + word("表揚便民窗口", "big5"),
            b"Content-Type: text/plain; charset=big5",
            b"Content-Transfer-Encoding: base64",
        ],
        b64(crlf(body.encode("big5"))),
    )


def big5hkscs_labelled_big5() -> bytes:
    body = "佢哋話𨋢壞咗，啲人要行樓梯。\n"
    return message(
        [
            b"From: Wong <wong@example.hk>",
            *COMMON,
            b"Subject: Lift broken",
            b"Content-Type: text/plain; charset=BIG5",
            b"Content-Transfer-Encoding: quoted-printable",
        ],
        qp(crlf(body.encode("big5hkscs"))),
    )


def utf8_8bit_body() -> bytes:
    body = "营商环境改善了不少，审批时间从二十天缩短到五天。\n"
    return message(
        [
            b"From: Li Ming <liming@example.cn>",
            *COMMON,
            b"Subject: " + word("营商环境表扬", "utf-8", "Q"),
            b"Content-Type: text/plain; charset=utf-8",
            b"Content-Transfer-Encoding: 8bit",
        ],
        crlf(body.encode("utf-8")),
    )


def utf8_base64_body() -> bytes:
    body = "县工科局的企业服务窗口下午三点就关门了，希望延长办公时间。\n"
    return message(
        [
            b"From: Zhao <zhao@example.cn>",
            *COMMON,
            b"Subject: " + word("延长办公时间的建议", "utf-8"),
            b'Content-Type: text/plain; charset="UTF-8"',
            b"Content-Transfer-Encoding: base64",
        ],
        b64(crlf(body.encode("utf-8"))),
    )


def gb18030_four_byte() -> bytes:
    body = "姓名：吉𠮷，生僻字𠀀与䶮都要能正确保存。\n"
    return message(
        [
            b"From: Ji <ji@example.cn>",
            *COMMON,
            b"Subject: " + word("生僻字𠮷", "gb18030"),
            b"Content-Type: text/plain; charset=GB18030",
            b"Content-Transfer-Encoding: 8bit",
        ],
        crlf(body.encode("gb18030")),
    )


def raw_8bit_gbk_subject_from() -> bytes:
    # Old Foxmail and some webmail send header text as unencoded GBK bytes.
    return message(
        [
            b"From: " + "张三".encode("gbk") + b" <zhangsan@example.cn>",
            *COMMON,
            b"Subject: " + "关于县工科局办事拖延的反映".encode("gbk"),
            b"Content-Type: text/plain; charset=gbk",
            b"Content-Transfer-Encoding: 8bit",
        ],
        crlf("办一个证明拖了一个月。\n".encode("gbk")),
    )


def raw_8bit_utf8_subject() -> bytes:
    # Raw UTF-8 header bytes while the body says gb2312: the hint must not win over valid UTF-8.
    return message(
        [
            b"From: " + "李四".encode() + b" <lisi@example.cn>",
            *COMMON,
            b"Subject: " + "你好，窗口排队太久".encode(),
            b"Content-Type: text/plain; charset=gb2312",
            b"Content-Transfer-Encoding: 8bit",
        ],
        crlf("排队两个小时。\n".encode("gbk")),
    )


def rfc2047_split_mid_character() -> bytes:
    data = "反映窗口工作人员态度".encode()
    first, second = data[:4], data[4:]  # byte 4 is inside the second character
    subject = (
        b"Subject: =?UTF-8?B?"
        + base64.b64encode(first)
        + b"?="
        + CRLF
        + b" =?UTF-8?B?"
        + base64.b64encode(second)
        + b"?="
    )
    name = "王五".encode()
    sender = (
        b"From: =?utf-8?q?" + b"".join(b"=%02X" % c for c in name[:3]) + b"?="
        b"=?UTF-8?B?" + base64.b64encode(name[3:]) + b"?= <wangwu@example.cn>"
    )
    return message(
        [sender, *COMMON, subject, b"Content-Type: text/plain; charset=utf-8"],
        crlf("态度生硬。\n".encode()),
    )


def _mixed(boundary: bytes, parts: list[bytes], headers: list[bytes]) -> bytes:
    body = b"This is a multi-part message in MIME format." + CRLF
    for part in parts:
        body += CRLF + b"--" + boundary + CRLF + part
    body += CRLF + b"--" + boundary + b"--" + CRLF
    return message(headers + [b"Content-Type: multipart/mixed;" + CRLF + b'\tboundary="' + boundary + b'"'], body)


def _text_part(text: str, charset: str = "gb2312") -> bytes:
    codec = "gbk" if charset == "gb2312" else charset
    return (
        b'Content-Type: text/plain; charset="'
        + charset.encode()
        + b'"'
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + CRLF
        + b64(crlf(text.encode(codec)))
    )


def outlook_quoted_encoded_filename() -> bytes:
    encoded = word("整改报告.docx", "gbk").replace(b"?gbk?", b"?GB2312?")
    attachment = (
        b"Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;"
        + CRLF
        + b'\tname="'
        + encoded
        + b'"'
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + b"Content-Disposition: attachment;"
        + CRLF
        + b'\tfilename="'
        + encoded
        + b'"'
        + CRLF
        + CRLF
        + b64(b"PK\x03\x04 not really a docx")
    )
    return _mixed(
        b"----=_NextPart_000_0012_01DB2E3A.5C1F4B20",
        [_text_part("附件是整改报告，请查收。\n"), attachment],
        [
            b"From: Unit <unit@zx.gov.cn>",
            *COMMON,
            b"Subject: " + word("整改报告", "gb2312"),
            b"X-Mailer: Microsoft Outlook 16.0",
        ],
    )


def rfc2231_filename_continuation() -> bytes:
    name = quote_from_bytes("政务服务大厅排队照片.jpg".encode("gbk"), safe="")
    split = name.index("%", len(name) // 2 + 1)  # a segment boundary that falls inside a character
    first = (
        b"Content-Type: image/jpeg"
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + b"Content-Disposition: attachment;"
        + CRLF
        + b" filename*0*=gb2312''"
        + name[:split].encode()
        + b";"
        + CRLF
        + b" filename*1*="
        + name[split:].encode()
        + CRLF
        + CRLF
        + b64(b"\xff\xd8\xff\xe0 fake jpeg")
    )
    second = (
        b"Content-Type: application/pdf"
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + b"Content-Disposition: attachment; filename*=UTF-8''"
        + quote_from_bytes("整改通知.pdf".encode(), safe="").encode()
        + CRLF
        + CRLF
        + b64(b"%PDF-1.4 fake")
    )
    return _mixed(
        b"b1_2231",
        [_text_part("照片两张。\n", "utf-8"), first, second],
        [b"From: Photo <photo@example.cn>", *COMMON, b"Subject: Photos"],
    )


def raw_8bit_gbk_filename() -> bytes:
    attachment = (
        b'Content-Type: image/jpeg; name="'
        + "现场照片.jpg".encode("gbk")
        + b'"'
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + b'Content-Disposition: attachment; filename="'
        + "现场照片.jpg".encode("gbk")
        + b'"'
        + CRLF
        + CRLF
        + b64(b"\xff\xd8\xff\xe0 fake jpeg")
    )
    return _mixed(
        b"raw8bitname",
        [_text_part("现场照片见附件。\n"), attachment],
        [b"From: Old Mailer <old@example.cn>", *COMMON, b"Subject: photo"],
    )


def html_only_hostile() -> bytes:
    html = """<html><head><title>标题不应出现</title><style>body{display:none}</style>
<script>alert('x')</script></head>
<body onload="steal()"><p>尊敬的政协：</p><p>窗口&nbsp;工作人员&amp;保安<br>态度很差。</p>
<img src="http://tracker.example.com/p.gif" alt="跟踪像素" onerror="alert(2)">
<a href="javascript:alert(3)">点我</a> <a href="https://www.zx.gov.cn/">县政府网站</a>
<a href="mailto:jdyx@zxzx.gov.cn">邮箱</a> <a href="relative/page.html">相对链接</a>
<div style="position:fixed;top:0">遮罩</div><ul><li>第一条</li><li>第二条</li></ul>
<iframe src="https://evil.example.com/"></iframe></body></html>
"""
    return message(
        [
            b"From: Html <html@example.cn>",
            *COMMON,
            b"Subject: HTML only",
            b"Content-Type: text/html; charset=utf-8",
            b"Content-Transfer-Encoding: quoted-printable",
        ],
        qp(crlf(html.encode("utf-8"))),
    )


def _alternative(boundary: bytes, plain: bytes, html: bytes, charset: bytes) -> bytes:
    return (
        b"This is a multi-part message in MIME format."
        + CRLF
        + CRLF
        + b"--"
        + boundary
        + CRLF
        + b"Content-Type: text/plain;"
        + CRLF
        + b'\tcharset="'
        + charset
        + b'"'
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + CRLF
        + b64(plain)
        + CRLF
        + b"--"
        + boundary
        + CRLF
        + b"Content-Type: text/html;"
        + CRLF
        + b'\tcharset="'
        + charset
        + b'"'
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + CRLF
        + b64(html)
        + CRLF
        + b"--"
        + boundary
        + b"--"
        + CRLF
    )


def _qq_headers(subject: str, boundary: bytes) -> list[bytes]:
    return [
        b'From: "' + word("张三", "gb18030") + b'" <123456@qq.com>',
        b'To: "jdyx" <jdyx@zxzx.gov.cn>',
        b"Subject: " + word(subject, "gb18030"),
        b"Mime-Version: 1.0",
        b"Content-Type: multipart/alternative;" + CRLF + b'\tboundary="' + boundary + b'"',
        b"Content-Transfer-Encoding: 8Bit",
        b"Date: Wed, 4 Nov 2026 09:15:02 +0800",
        b"X-Priority: 3",
        b"Message-ID: <tencent_5E6F7A8B9C0D1E2F@qq.com>",
        b"X-QQ-MIME: TCMime 1.0 by Tencent",
        b"X-Mailer: QQMail 2.x",
        b"X-QQ-Mailer: QQMail 2.x",
    ]


def qq_multipart_alternative() -> bytes:
    boundary = b"----=_NextPart_6571E2F1_0A1B2C3D_5E6F7A8B"
    plain = "政务服务大厅的自助机经常坏，希望尽快维修。".encode("gb18030")
    html = "<div>政务服务大厅的<b>自助机</b>经常坏，希望尽快维修。</div>".encode("gb18030")
    return message(_qq_headers("自助机故障", boundary), _alternative(boundary, plain, html, b"gb18030"))


def qq_reply_tracking_code() -> bytes:
    boundary = b"----=_NextPart_6571E2F2_1B2C3D4E_6F7A8B9C"
    plain = crlf(
        (
            "好的，谢谢，已经办好了。\n\n"
            "------------------ 原始邮件 ------------------\n"
            '发件人: "县政协民主监督邮箱"<jdyx@zxzx.gov.cn>;\n'
            "发送时间: 2026年11月3日(星期二) 上午10:20\n"
            '收件人: "张三"<123456@qq.com>;\n'
            "主题: 【已受理】JD-2026-000123 关于窗口排队的反映\n\n"
            "您好，您反映的问题已受理。\n"
        ).encode("gb18030")
    )
    html = "<div>好的，谢谢，已经办好了。</div><div>------------------ 原始邮件 ------------------</div>".encode(
        "gb18030"
    )
    headers = _qq_headers("回复：【已受理】JD-2026-000123 关于窗口排队的反映", boundary)
    headers.append(b"In-Reply-To: <JD-2026-000123.1@zxzx.gov.cn>")
    headers.append(b"References: <JD-2026-000123.1@zxzx.gov.cn>")
    return message(headers, _alternative(boundary, plain, html, b"gb18030"))


def outlook_chinese_reply() -> bytes:
    body = (
        "整改已经落实，窗口增加了两名工作人员。\n\n"
        "________________________________\n"
        "发件人: 县政协民主监督邮箱 <jdyx@zxzx.gov.cn>\n"
        "发送时间: 2026年11月4日 9:00\n"
        "收件人: 县政务服务管理局\n"
        "主题: JD-2026-000045 整改情况\n\n"
        "请于十日内报送整改情况。\n"
    )
    return message(
        [
            b"From: Unit <unit@zx.gov.cn>",
            *COMMON,
            b"Subject: " + word("答复: JD-2026-000045 整改情况", "gb2312"),
            b"Thread-Topic: " + word("JD-2026-000045 整改情况", "gb2312"),
            b'Content-Type: text/plain; charset="gb2312"',
            b"Content-Transfer-Encoding: base64",
        ],
        b64(crlf(body.encode("gbk"))),
    )


def gmail_on_wrote_reply() -> bytes:
    body = (
        "Thanks, the window now opens at 8:30.\n\n"
        "On Tue, Nov 3, 2026 at 10:20 AM County CPPCC Mailbox <\n"
        "jdyx@zxzx.gov.cn> wrote:\n\n"
        "> Your report JD-2026-000777 was accepted.\n"
        ">\n"
        "> Regards\n"
    )
    return message(
        [
            b"From: Alice <alice@gmail.com>",
            *COMMON,
            b"Subject: Re: [JD-2026-000777] Window hours",
            b"In-Reply-To: <JD-2026-000777.1@zxzx.gov.cn>",
            b'Content-Type: text/plain; charset="UTF-8"',
        ],
        crlf(body.encode("utf-8")),
    )


def forwarded_message_rfc822() -> bytes:
    inner = message(
        [
            b"From: Citizen <citizen@example.cn>",
            b"To: friend@example.cn",
            b"Subject: " + word("关于便民窗口/午休无人的反映", "gb2312"),
            b"Date: Mon, 02 Nov 2026 12:00:00 +0800",
            b"Content-Type: text/plain; charset=gbk",
            b"Content-Transfer-Encoding: 8bit",
        ],
        crlf("中午十二点到两点窗口没人。\n".encode("gbk")),
    )
    forwarded = b"Content-Type: message/rfc822" + CRLF + b"Content-Disposition: attachment" + CRLF + CRLF + inner
    return _mixed(
        b"fwd_boundary",
        [_text_part("转发一封反映信，请查收。\n"), forwarded],
        [b"From: Friend <friend@example.cn>", *COMMON, b"Subject: Fwd: complaint"],
    )


def _tnef_object(level: int, name: int, kind: int, data: bytes) -> bytes:
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)


def tnef_bytes() -> bytes:
    """A minimal valid TNEF stream: version, OEM codepage 936, a body and two attachments."""
    data = struct.pack("<IH", 0x223E9F78, 0x0001)
    data += _tnef_object(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # attTnefVersion
    data += _tnef_object(1, 0x9007, 0x0006, struct.pack("<II", 936, 0))  # attOemCodepage
    data += _tnef_object(1, 0x800C, 0x0002, "正文：请见附件。".encode("gbk"))  # attBody
    for title, content in (
        (b"report.txt\x00", b"plain report"),
        ("整改材料.txt".encode("gbk") + b"\x00", b"gbk title"),
    ):
        data += _tnef_object(2, 0x9002, 0x0006, b"\x01\x00" + b"\xff" * 12)  # attAttachRendData
        data += _tnef_object(2, 0x8010, 0x0001, title)  # attAttachTitle
        data += _tnef_object(2, 0x800F, 0x0006, content)  # attAttachData
    return data


def _winmail(payload: bytes, subject: bytes) -> bytes:
    attachment = (
        b'Content-Type: application/ms-tnef; name="winmail.dat"'
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + b'Content-Disposition: attachment; filename="winmail.dat"'
        + CRLF
        + CRLF
        + b64(payload)
    )
    return _mixed(
        b"----_=_NextPart_001_01DB2E3A",
        [_text_part("Outlook RTF mail.\n", "us-ascii"), attachment],
        [b"From: Exchange <user@exchange.example.cn>", *COMMON, b"Subject: " + subject],
    )


def winmail_dat_tnef() -> bytes:
    return _winmail(tnef_bytes(), b"TNEF")


def winmail_dat_forged_count() -> bytes:
    # A MAPI property block claiming 2**32 - 1 properties in 8 bytes: tnefparse would loop for hours.
    data = struct.pack("<IH", 0x223E9F78, 0x0001)
    data += _tnef_object(1, 0x9003, 0x0006, struct.pack("<I", 0xFFFFFFFF) + b"\x02\x00\x01\x00")
    data += _tnef_object(1, 0x800C, 0x0002, b"body")
    return _winmail(data, b"Forged TNEF")


def winmail_dat_broken() -> bytes:
    return _winmail(b"this is not TNEF at all", b"Broken TNEF")


def inline_cid_image() -> bytes:
    boundary = b"related_boundary"
    body = (
        b"--"
        + boundary
        + CRLF
        + b"Content-Type: text/html; charset=utf-8"
        + CRLF
        + CRLF
        + '<p>现场照片：</p><img src="cid:photo001@zxzx" alt="照片">'.encode()
        + CRLF
        + b"--"
        + boundary
        + CRLF
        + b'Content-Type: image/png; name="photo.png"'
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + b"Content-ID: <photo001@zxzx>"
        + CRLF
        + b'Content-Disposition: inline; filename="photo.png"'
        + CRLF
        + CRLF
        + b64(PNG_1X1)
        + b"--"
        + boundary
        + b"--"
        + CRLF
    )
    return message(
        [
            b"From: Photo <photo@example.cn>",
            *COMMON,
            b"Subject: Inline photo",
            b'Content-Type: multipart/related; type="text/html"; boundary="' + boundary + b'"',
        ],
        body,
    )


def auto_submitted_reply() -> bytes:
    return message(
        [
            b"From: Unit <unit@zx.gov.cn>",
            *COMMON,
            b"Subject: " + word("Re: 关于窗口的反映", "utf-8"),
            b"Auto-Submitted: auto-replied",
            b"Content-Type: text/plain; charset=utf-8",
        ],
        crlf("本人出差，回来后处理。\n".encode()),
    )


def out_of_office_subject_zh() -> bytes:
    return message(
        [
            b"From: Staff <staff@example.cn>",
            *COMMON,
            b"Subject: " + word("自动回复: 关于窗口的反映", "utf-8"),
            b"Content-Type: text/plain; charset=utf-8",
        ],
        crlf("您好，我已休假，11月10日返回。\n".encode()),
    )


def bounce_delivery_status() -> bytes:
    boundary = b"dsn_boundary"
    body = (
        b"This is a MIME-encapsulated message."
        + CRLF
        + CRLF
        + b"--"
        + boundary
        + CRLF
        + b"Content-Type: text/plain; charset=us-ascii"
        + CRLF
        + CRLF
        + b"Your message could not be delivered to one or more recipients."
        + CRLF
        + CRLF
        + b"--"
        + boundary
        + CRLF
        + b"Content-Type: message/delivery-status"
        + CRLF
        + CRLF
        + b"Reporting-MTA: dns; mail.zxzx.gov.cn"
        + CRLF
        + b"Arrival-Date: Tue, 3 Nov 2026 10:20:00 +0800"
        + CRLF
        + CRLF
        + b"Final-Recipient: rfc822; liming@example.cn"
        + CRLF
        + b"Original-Recipient: rfc822;LiMing@Example.cn"
        + CRLF
        + b"Action: failed"
        + CRLF
        + b"Status: 5.1.1"
        + CRLF
        + b"Diagnostic-Code: smtp; 550 5.1.1 user unknown"
        + CRLF
        + CRLF
        + b"Final-Recipient: rfc822; <zhao@example.cn>"
        + CRLF
        + b"Action: failed"
        + CRLF
        + b"Status: 5.2.2"
        + CRLF
        + CRLF
        + b"--"
        + boundary
        + CRLF
        + b"Content-Type: text/rfc822-headers"
        + CRLF
        + CRLF
        + b"From: jdyx@zxzx.gov.cn"
        + CRLF
        + b"Subject: JD-2026-000123"
        + CRLF
        + CRLF
        + b"--"
        + boundary
        + b"--"
        + CRLF
    )
    return message(
        [
            b"From: MAILER-DAEMON@mail.zxzx.gov.cn (Mail Delivery System)",
            *COMMON,
            b"Subject: Undelivered Mail Returned to Sender",
            b"Return-Path: <>",
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="' + boundary + b'"',
        ],
        body,
    )


def mailing_list() -> bytes:
    return message(
        [
            b"From: News <news@zx.gov.cn>",
            *COMMON,
            b"Subject: " + word("本周政务新闻", "utf-8"),
            b"List-Id: County news <news.zx.gov.cn>",
            b"List-Unsubscribe: <mailto:unsubscribe@zx.gov.cn>, <https://zx.gov.cn/unsub>",
            b"Content-Type: text/plain; charset=utf-8",
        ],
        crlf("本周新闻摘要。\n".encode()),
    )


def broken_message_id() -> bytes:
    return message(
        [
            b"From: Outlook <user@outlook.example>",
            *COMMON[:1],
            b"Date: Tuesday 3rd of November",
            b"Subject: Broken ids",
            b"Message-ID: <[x@microsoft.com]>",
            b"In-Reply-To: <[y@microsoft.com]>",
            b"References: <a@b.example> <[z@microsoft.com]>",
            b"Content-Type: text/plain; charset=utf-8",
        ],
        crlf(b"body\n"),
    )


def nesting_bomb_50() -> bytes:
    body = b"Content-Type: text/plain" + CRLF + CRLF + b"innermost" + CRLF
    for depth in range(50):
        boundary = b"nest%d" % depth
        body = (
            b'Content-Type: multipart/mixed; boundary="'
            + boundary
            + b'"'
            + CRLF
            + CRLF
            + b"--"
            + boundary
            + CRLF
            + body
            + CRLF
            + b"--"
            + boundary
            + b"--"
            + CRLF
        )
    return CRLF.join([b"From: Bomb <bomb@example.cn>", *COMMON, b"Subject: nesting"]) + CRLF + body


def many_parts_bomb() -> bytes:
    parts = [b"Content-Type: text/plain" + CRLF + CRLF + b"part %d" % i + CRLF for i in range(600)]
    return _mixed(b"many", parts, [b"From: Bomb <bomb@example.cn>", *COMMON, b"Subject: many parts"])


def long_header_line() -> bytes:
    return message(
        [b"From: Bomb <bomb@example.cn>", *COMMON, b"Subject: long", b"X-Padding: " + b"a" * 70000],
        b"body" + CRLF,
    )


def ks_c_5601_korean() -> bytes:
    body = "안녕하세요, 민원 접수 확인 부탁드립니다. 똠방각하\n"  # 똠 exists only in cp949
    return message(
        [
            b"From: Kim <kim@example.kr>",
            *COMMON,
            b"Subject: " + word("민원", "euc-kr").replace(b"?euc-kr?", b"?ks_c_5601-1987?"),
            b"Content-Type: text/plain; charset=ks_c_5601-1987",
            b"Content-Transfer-Encoding: 8bit",
        ],
        crlf(body.encode("cp949")),
    )


def mislabelled_utf8_is_gbk() -> bytes:
    # Saved by a mailer that wrote GBK bytes but labelled them UTF-8; LF line endings as in mbox exports.
    body = "窗口工作人员上班时间玩手机，群众等了很久。\n"
    headers = [
        b"From: Sun <sun@example.cn>",
        *COMMON,
        b"Subject: mislabelled",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: 8bit",
    ]
    return b"\n".join(headers) + b"\n\n" + body.encode("gbk")


def empty_body() -> bytes:
    return message(
        [b"From: Empty <empty@example.cn>", *COMMON, b"Subject: empty", b"Content-Type: text/plain; charset=utf-8"]
    )


def no_subject_no_from() -> bytes:
    return message([*COMMON, b"Content-Type: text/plain; charset=utf-8"], crlf("没有主题也没有发件人。\n".encode()))


CASES = [
    gbk_body_labelled_gb2312,
    big5_traditional,
    big5hkscs_labelled_big5,
    utf8_8bit_body,
    utf8_base64_body,
    gb18030_four_byte,
    raw_8bit_gbk_subject_from,
    raw_8bit_utf8_subject,
    rfc2047_split_mid_character,
    outlook_quoted_encoded_filename,
    rfc2231_filename_continuation,
    raw_8bit_gbk_filename,
    html_only_hostile,
    qq_multipart_alternative,
    qq_reply_tracking_code,
    outlook_chinese_reply,
    gmail_on_wrote_reply,
    forwarded_message_rfc822,
    winmail_dat_tnef,
    winmail_dat_broken,
    winmail_dat_forged_count,
    inline_cid_image,
    auto_submitted_reply,
    out_of_office_subject_zh,
    bounce_delivery_status,
    mailing_list,
    broken_message_id,
    nesting_bomb_50,
    many_parts_bomb,
    long_header_line,
    ks_c_5601_korean,
    mislabelled_utf8_is_gbk,
    empty_body,
    no_subject_no_from,
]


def main() -> None:
    from make_writer_fixtures import CASES as WRITER_CASES  # issue 18's cases, built on these helpers

    for case in CASES + WRITER_CASES:
        (HERE / (case.__name__ + ".eml")).write_bytes(case())


if __name__ == "__main__":
    main()
