"""Write the .eml fixtures of issue 18 (mail decoded as its writer saw it), byte for byte as the
mailers that send such mail write it.

`python tests/data/mail/make_fixtures.py` writes them with the others; the .eml files are committed.
"""

from __future__ import annotations

import base64
from urllib.parse import quote_from_bytes

from make_fixtures import COMMON, CRLF, _mixed, b64, crlf, message


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


CASES = [
    iso_2022_jp_everywhere,
    latin_8bit_undeclared,
    cyrillic_8bit_undeclared,
    utf8_one_bad_byte,
]
