"""What a unit may see of a reporter: nothing that names them (权益保障). Names become 张*,
phones 138****1234, emails z***@qq.com, in pages, exports, mails and file names alike."""

import re

from intake.feedback.models import Reporter

# Mainland mobiles (optionally +86), landlines with area code, 18-digit ID numbers, emails.
MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{7,8})(?!\d)")
ID_CARD_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
WECHAT_RE = re.compile(r"(微信|微信号|QQ|qq|VX|vx|wx)([:：\s]*)([A-Za-z0-9_-]{5,})")


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
            if value and len(value.strip()) >= 2:
                text = re.sub(re.escape(value.strip()), masked, text, flags=re.IGNORECASE)
    text = EMAIL_RE.sub(lambda m: m.group(1) + "***@" + m.group(2), text)
    text = ID_CARD_RE.sub(lambda m: m.group(1) + "********" + m.group(2)[-1:].rjust(4, "*"), text)
    text = MOBILE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    text = LANDLINE_RE.sub(lambda m: m.group(1) + "-****" + m.group(2)[-2:], text)
    text = WECHAT_RE.sub(lambda m: m.group(1) + m.group(2) + m.group(3)[:1] + "***", text)
    return text


def masked_file_name(prefix: str, index: int, original_name: str) -> str:
    """A file name that says nothing about who sent it: only the extension is kept."""
    ext = original_name.rsplit(".", 1)[-1].lower() if "." in original_name else ""
    ext = re.sub(r"[^a-z0-9]", "", ext)[:8]
    return f"{prefix}-{index}" + (f".{ext}" if ext else "")
