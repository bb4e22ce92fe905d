"""What a unit may see of a reporter: nothing that names them (权益保障). Names become 张*,
phones 138****1234, emails z***@qq.com, in pages, exports, mails and file names alike."""

import re

from intake.feedback.models import Reporter

# Patterns run on a folded copy of the text: full-width ASCII (１３８, ＠, ．, －) as ASCII, the
# ideographic space as a space. Folding keeps every character's position, so what a pattern
# finds in the copy is replaced at the same place in the text as written.
FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SEP = r"[\s\-.·()（）]?"  # what people put between digits: spaces, dashes, dots, brackets
# Mainland mobiles (optionally +86), written in any grouping: 13800138000, 138 0013 8000,
# 138-0013-8000, +86 138 0013 8000, １３８００１３８０００.
MOBILE_RE = re.compile(rf"(?<![\d])(?:\+?\s?86{_SEP}\s?)?(1{_SEP}[3-9](?:{_SEP}\d){{9}})(?![\d])")
# Landlines with area code: 0871-65123456, (0871) 6512 3456, 0871 651 23456.
LANDLINE_RE = re.compile(rf"(?<![\d])\(?(0\d{{2,3}})\)?[\s\-.]*(\d(?:{_SEP}\d){{6,7}})(?![\d])")
# 18-digit ID numbers, also written in groups (530102 19900307 123X).
ID_CARD_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})\s?(\d{8})\s?(\d{3}[\dXx])(?![0-9A-Za-z])")
# Emails, also written to dodge spam robots: name at qq dot com, name(at)qq.com, name#163.com,
# name 艾特 qq 点 com.
_AT = r"(?:\s*@\s*|\s*[(\[{]\s*at\s*[)\]}]\s*|\s+at\s+|#|\s*艾特\s*)"
_DOT = r"(?:\.|\s*[(\[{]\s*dot\s*[)\]}]\s*|\s+dot\s+|\s*点\s*)"
EMAIL_RE = re.compile(
    rf"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*{_AT}((?:[A-Za-z0-9-]+{_DOT})+[A-Za-z]{{2,}})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
WECHAT_RE = re.compile(r"(微信|微信号|QQ|qq|VX|vx|wx|扣扣)([:：\s]*)([A-Za-z0-9_-]{5,})")
# Compound surnames (复姓), Simplified and Traditional: "欧阳先生" names a family far more
# precisely than "张先生", so the second character is masked wherever they stand before a
# form of address.
COMPOUND_SURNAMES = (
    "欧阳 歐陽 司马 司馬 上官 诸葛 諸葛 东方 東方 皇甫 尉迟 尉遲 公孙 公孫 慕容 长孙 長孫 宇文 "
    "司徒 夏侯 轩辕 軒轅 令狐 钟离 鍾離 端木 独孤 獨孤 南宫 南宮 西门 西門 百里 呼延 闻人 聞人 "
    "太史 申屠 澹台 澹臺 濮阳 濮陽 司空 万俟 萬俟 单于 單于 赫连 赫連 拓跋 第五 左丘 东郭 東郭 "
    "公冶 公羊 闾丘 閭丘 子车 子車 颛孙 顓孫 谷梁 穀梁 漆雕 乐正 樂正 巫马 巫馬"
).split()
ADDRESS_FORMS = "先生 女士 小姐 老师 老師 师傅 師傅 阿姨 大爷 大爺 大妈 大媽 同志 老板 老闆 总 總 家"
COMPOUND_NAME_RE = re.compile(rf"({'|'.join(COMPOUND_SURNAMES)})(?=(?:{'|'.join(ADDRESS_FORMS.split())}))")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _sub(pattern: re.Pattern, replace, text: str) -> str:
    """pattern.sub on the folded copy, the replacements put into the text as written.
    `replace(match, written)` gets the match in the folded copy and `written(group)`, a group
    as it was written."""
    folded = text.translate(FOLD)
    pieces, last = [], 0
    for match in pattern.finditer(folded):

        def written(group: int, match=match) -> str:
            return text[match.start(group) : match.end(group)]

        pieces += [text[last : match.start()], replace(match, written)]
        last = match.end()
    return "".join(pieces + [text[last:]])


def mask_name(name: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; an empty name stays empty."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 11:
        digits = digits[-11:]
        return digits[:3] + "****" + digits[-4:]
    if len(digits) >= 7:
        return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]
    return "*" * len(digits)


def mask_email(email: str | None) -> str:
    email = (email or "").strip()
    local, at, domain = email.partition("@")
    if not at:
        return mask_name(email)
    return (local[:1] or "*") + "***@" + domain


def mask_text(text: str | None, reporter: Reporter | None = None) -> str:
    """Free text as a unit may read it: the reporter's own name, phone and email, and anything
    that looks like a phone, an ID number, an email or a chat handle, masked."""
    if not text:
        return text or ""
    if reporter is not None:
        for value, masked in (
            (reporter.email, mask_email(reporter.email)),
            (reporter.phone, mask_phone(reporter.phone)),
            (reporter.name, mask_name(reporter.name)),
        ):
            for variant in _written_forms(value):
                text = re.sub(re.escape(variant), masked, text, flags=re.IGNORECASE)
    text = _sub(EMAIL_RE, lambda m, w: m.group(1) + "***@" + re.sub(_DOT, ".", m.group(2)), text)
    text = _sub(ID_CARD_RE, lambda m, w: m.group(1) + "********" + m.group(3)[-1:].rjust(4, "*"), text)
    text = _sub(MOBILE_RE, lambda m, w: (d := _digits(m.group(1)))[:3] + "****" + d[-4:], text)
    text = _sub(LANDLINE_RE, lambda m, w: m.group(1) + "-****" + _digits(m.group(2))[-2:], text)
    text = _sub(WECHAT_RE, lambda m, w: w(1) + w(2) + m.group(3)[:1] + "***", text)
    return _sub(COMPOUND_NAME_RE, lambda m, w: w(1)[0] + "*", text)


def _written_forms(value: str | None) -> set[str]:
    """A reporter's own detail as they might write it again: as given, in Simplified and in
    Traditional characters (a name), and full-width."""
    value = (value or "").strip()
    if len(value) < 2:
        return set()
    from zhconv import convert

    forms = {value, convert(value, "zh-hans"), convert(value, "zh-hant")}
    forms |= {f.translate({v: k for k, v in FOLD.items()}) for f in forms}
    return {f for f in forms if len(f) >= 2}


def masked_file_name(prefix: str, index: int, original_name: str) -> str:
    """A file name that says nothing about who sent it: only the extension is kept."""
    ext = original_name.rsplit(".", 1)[-1].lower() if "." in original_name else ""
    ext = re.sub(r"[^a-z0-9]", "", ext)[:8]
    return f"{prefix}-{index}" + (f".{ext}" if ext else "")
