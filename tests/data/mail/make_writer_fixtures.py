"""Write the .eml fixtures of issue 18 (mail decoded as its writer saw it), byte for byte as the
mailers that send such mail write it.

`python tests/data/mail/make_fixtures.py` writes them with the others; the .eml files are committed.
"""

from __future__ import annotations

import base64
from urllib.parse import quote_from_bytes

from make_fixtures import COMMON, CRLF, _mixed, _text_part, b64, crlf, message


def iso_2022_jp_everywhere() -> bytes:
    """A Japanese mailer (Becky!, old Thunderbird): 7-bit ISO-2022-JP in the subject's encoded word,
    the body and both kinds of attachment name."""
    subject = "テスト：窓口の件".encode("iso2022_jp")
    body = crlf("窓口の対応についてご連絡します。\nよろしくお願いします。\n".encode("iso2022_jp"))
    rfc2231 = quote_from_bytes("報告書.pdf".encode("iso2022_jp"), safe="")
    rfc2047 = base64.b64encode("写真.jpg".encode("iso2022_jp"))
    return _mixed(
        b"jp_boundary",
        [
            b"Content-Type: text/plain; charset=ISO-2022-JP"
            + CRLF
            + b"Content-Transfer-Encoding: 7bit"
            + CRLF
            + CRLF
            + body,
            b"Content-Type: application/pdf"
            + CRLF
            + b"Content-Disposition: attachment; filename*=iso-2022-jp'ja'"
            + rfc2231.encode()
            + CRLF
            + b"Content-Transfer-Encoding: base64"
            + CRLF
            + CRLF
            + b64(b"%PDF-1.4 report"),
            b'Content-Type: image/jpeg; name="=?ISO-2022-JP?B?'
            + rfc2047
            + b'?="'
            + CRLF
            + b'Content-Disposition: attachment; filename="=?ISO-2022-JP?B?'
            + rfc2047
            + b'?="'
            + CRLF
            + b"Content-Transfer-Encoding: base64"
            + CRLF
            + CRLF
            + b64(b"\xff\xd8\xff\xe0 photo"),
            # Unencoded: the escape sequences themselves inside the quotes.
            b'Content-Type: text/plain; name="'
            + "議事録.txt".encode("iso2022_jp")
            + b'"'
            + CRLF
            + b"Content-Disposition: attachment"
            + CRLF
            + CRLF
            + b"minutes",
        ],
        [
            b"From: Tanaka <tanaka@example.jp>",
            *COMMON,
            b"Subject: =?ISO-2022-JP?B?" + base64.b64encode(subject) + b"?=",
        ],
    )


def latin_8bit_undeclared() -> bytes:
    """An old Western mailer: raw Windows-1252 in the subject, the sender's name and a body with no
    charset, and an attachment name whose RFC 2231 label (ISO-2022-JP) is wrong for its 8-bit byte."""
    body = crlf("Le guichet de la mairie était fermé à midi, la Formação reprend à 14 h.\n".encode("cp1252"))
    return _mixed(
        b"latin_boundary",
        [
            b"Content-Type: text/plain" + CRLF + b"Content-Transfer-Encoding: 8bit" + CRLF + CRLF + body,
            b"Content-Type: audio/mpeg; name*=iso-2022-jp'ja'01%20Quien%20Te%20Dij%8Aat.mp3"
            + CRLF
            + b"Content-Transfer-Encoding: base64"
            + CRLF
            + CRLF
            + b64(b"ID3 song"),
        ],
        [
            "From: José Müller <jose@example.fr>".encode("cp1252"),
            *COMMON,
            "Subject: Formação en mécanique".encode("cp1252"),
        ],
    )


def cyrillic_8bit_undeclared() -> bytes:
    """A Russian mailer: raw Windows-1251 in the subject, and in a body under a label no codec knows."""
    return message(
        [
            b"From: ivanov@example.ru",
            *COMMON,
            "Subject: Жалоба на работу окна".encode("cp1251"),
            b"Content-Type: text/plain; charset=x-user-charset",
            b"Content-Transfer-Encoding: 8bit",
        ],
        crlf("Окно закрыто в обед.\n".encode("cp1251")),
    )


CYRILLIC_LETTER = "Уважаемые коллеги, окно приёма документов в мэрии закрывается раньше времени.\n"


def utf8_one_bad_byte() -> bytes:
    """A long Cyrillic UTF-8 letter in which one byte was damaged in transit (0xD0 turned 0xC0, one bit): read as GB18030 every pair is a valid character."""
    body = bytearray(crlf((CYRILLIC_LETTER * 60).encode("utf-8")))
    body[body.index("мэрии".encode()) + len("мэр".encode())] = 0xC0
    return message(
        [
            b"From: petrov@example.ru",
            *COMMON,
            b"Subject: =?utf-8?B?" + base64.b64encode("Письмо".encode()) + b"?=",
            b"Content-Type: text/plain; charset=utf-8",
            b"Content-Transfer-Encoding: 8bit",
        ],
        bytes(body),
    )


def alternative_last_plain_empty() -> bytes:
    """A webmail that adds an empty text/plain alternative after the one the person wrote."""
    body = b"This is a multi-part message in MIME format." + CRLF
    for part in (
        _text_part("窗口的工作人员很耐心，表扬一下。\n"),
        b"Content-Type: text/plain; charset=utf-8" + CRLF + CRLF,
    ):
        body += CRLF + b"--alt" + CRLF + part
    body += CRLF + b"--alt--" + CRLF
    return message(
        [b"From: wang@example.cn", *COMMON, b"Subject: praise", b'Content-Type: multipart/alternative; boundary="alt"'],
        body,
    )


def report_with_named_status() -> bytes:
    """A delivery report (RFC 3464) whose status part carries a file name, as Exchange sends it."""
    status = (
        b"Reporting-MTA: dns; mx.example.cn"
        + CRLF
        + CRLF
        + b"Final-Recipient: rfc822; nobody@example.cn"
        + CRLF
        + b"Action: failed"
        + CRLF
        + b"Status: 5.1.1"
        + CRLF
    )
    parts = [
        _text_part("您的邮件无法投递到 nobody@example.cn。\n"),
        b'Content-Type: message/delivery-status; name="details.txt"'
        + CRLF
        + b'Content-Disposition: attachment; filename="details.txt"'
        + CRLF
        + CRLF
        + status,
        b"Content-Type: text/rfc822-headers" + CRLF + CRLF + b"Subject: hello" + CRLF,
    ]
    body = b""
    for part in parts:
        body += CRLF + b"--rep" + CRLF + part
    body += CRLF + b"--rep--" + CRLF
    return message(
        [
            b"From: postmaster@example.cn",
            *COMMON,
            b"Subject: Undeliverable: hello",
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="rep"',
        ],
        body,
    )


def missing_start_boundary() -> bytes:
    """A script that writes the multipart's parts but forgets the first delimiter line."""
    return message(
        [b"From: li@example.cn", *COMMON, b"Subject: photo", b'Content-Type: multipart/mixed; boundary="mix"'],
        _text_part("附件是现场照片。\n")
        + CRLF
        + b"--mix"
        + CRLF
        + b'Content-Type: image/jpeg; name="photo.jpg"'
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + CRLF
        + b64(b"\xff\xd8\xff\xe0 photo")
        + b"--mix--"
        + CRLF,
    )


def only_close_boundary() -> bytes:
    """The same mistake with a single part: only the close delimiter is left."""
    return message(
        [b"From: li@example.cn", *COMMON, b"Subject: text", b'Content-Type: multipart/mixed; boundary="one"'],
        _text_part("只有结束分隔线的邮件。\n") + b"--one--" + CRLF,
    )


def attached_mails_with_names() -> bytes:
    """Mail attached with the names the sender gave them (one a path trick), and a
    message/external-body pointer (RFC 2046), as Thunderbird and Apple Mail send them."""
    inner = message(
        [b"From: a@example.cn", b"Subject: Thanks!", b"Content-Type: text/plain; charset=utf-8"],
        "谢谢。\r\n".encode(),
    )
    return _mixed(
        b"att_boundary",
        [
            _text_part("转发两封信。\n"),
            b"Content-Type: message/rfc822"
            + CRLF
            + b"Content-Disposition: attachment; filename=thanks.eml"
            + CRLF
            + CRLF
            + inner,
            b'Content-Type: message/rfc822; name="../../evil/'
            + "感谢信.eml".encode("gbk")
            + b'"'
            + CRLF
            + b"Content-Disposition: attachment"
            + CRLF
            + CRLF
            + inner,
            b'Content-Type: message/external-body; access-type=URL; URL="https://files.example.cn/a.pdf"'
            + CRLF
            + CRLF
            + b"Content-Type: application/pdf"
            + CRLF
            + CRLF,
        ],
        [b"From: zhao@example.cn", *COMMON, b"Subject: Fwd: letters"],
    )


def from_two_addresses_no_comma() -> bytes:
    """A form-mailer script that puts two addresses in From with no comma between them."""
    return message(
        [
            b"From: tim@powerupdev.com concierge@powerupdev.com",
            *COMMON,
            b"Subject: contact form",
            b"Content-Type: text/plain; charset=utf-8",
        ],
        "网站留言：路灯坏了。\r\n".encode(),
    )


def flowed_delsp_chinese() -> bytes:
    """iOS Mail: format=flowed with DelSp=yes, a soft line break (space, CRLF) inside Chinese words."""
    body = "我在政务大厅排队 \r\n等了两个小时，窗口 \r\n只开了一个。\r\n\r\n> 请问您反映 \r\n> 的是哪个窗口？\r\n"
    return message(
        [
            b"From: chen@example.cn",
            *COMMON,
            b"Subject: =?utf-8?B?" + base64.b64encode("排队".encode()) + b"?=",
            b"Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes",
            b"Content-Transfer-Encoding: 8bit",
        ],
        body.encode(),
    )


def base64_padding_in_the_middle() -> bytes:
    """A sender that base64-encodes its body chunk by chunk, each chunk padded on its own."""
    chunks = ["路灯坏了一个月。\r\n", "晚上走路很危险，\r\n", "希望尽快修好。\r\n"]
    return message(
        [
            b"From: sun@example.cn",
            *COMMON,
            b"Subject: =?utf-8?B?" + base64.b64encode("路灯".encode()) + b"?=",
            b"Content-Type: text/plain; charset=utf-8",
            b"Content-Transfer-Encoding: base64",
        ],
        CRLF.join(base64.b64encode(chunk.encode()) for chunk in chunks) + CRLF,
    )


LONG_SUBJECT = "关于城关镇到工业园区的道路照明和公交站台长期无人维护、夜间出行不安全的反映（第{}条）"


def long_subject_reply() -> bytes:
    """A reply whose subject runs past 300 characters, folded into encoded words of at most
    75 characters as RFC 2047 asks."""
    subject = "".join(LONG_SUBJECT.format(n) for n in range(1, 13))
    words, piece = [], ""
    for ch in subject:
        if len(base64.b64encode((piece + ch).encode())) > 45:
            words.append(b"=?utf-8?B?" + base64.b64encode(piece.encode()) + b"?=")
            piece = ""
        piece += ch
    words.append(b"=?utf-8?B?" + base64.b64encode(piece.encode()) + b"?=")
    return message(
        [
            b"From: zhou@example.cn",
            *COMMON,
            b"Subject: Re: " + (CRLF + b" ").join(words),
            b"Content-Type: text/plain; charset=utf-8",
            b"Content-Transfer-Encoding: 8bit",
        ],
        "路灯还是没有修。\r\n".encode(),
    )


CASES = [
    iso_2022_jp_everywhere,
    latin_8bit_undeclared,
    cyrillic_8bit_undeclared,
    utf8_one_bad_byte,
    alternative_last_plain_empty,
    report_with_named_status,
    missing_start_boundary,
    only_close_boundary,
    attached_mails_with_names,
    from_two_addresses_no_comma,
    flowed_delsp_chinese,
    base64_padding_in_the_middle,
    long_subject_reply,
]
