"""Link replies to their feedback item: tracking codes (JD-2026-000123) in subjects, and the
citizen's new words separated from the quoted earlier mail."""

from __future__ import annotations

import functools
import re
import unicodedata

# Hyphen look-alikes that Chinese input methods and word processors produce; NFKC already folds
# the full-width hyphen-minus (U+FF0D) and full-width letters and digits.
_DASHES = {ord(ch): "-" for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"}
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:re|fwd|fw|回复|回覆|答复|答覆|转发|轉發|转寄|轉寄)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*",
    re.I,
)


DEFAULT_TRACKING_PREFIX = "JD"


@functools.lru_cache(maxsize=8)
def _tracking_code_pattern(prefix: str) -> re.Pattern:
    prefix = unicodedata.normalize("NFKC", prefix).translate(_DASHES)
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(prefix)}-(\d{{4}})-(\d{{6}})(?!\d)", re.I | re.A)


def find_tracking_code(subject: str | None, prefix: str = DEFAULT_TRACKING_PREFIX) -> str | None:
    """The first tracking code with this prefix (the TRACKING_PREFIX setting) in a subject,
    normalized to the form we issue ("JD-2026-000123"), whatever the case, width or dash the
    mailer wrote."""
    if not subject:
        return None
    text = unicodedata.normalize("NFKC", subject).translate(_DASHES)
    match = _tracking_code_pattern(prefix).search(text)
    return "%s-%s-%s" % (prefix, *match.groups()) if match else None


def strip_subject_prefixes(subject: str | None) -> str:
    """The subject without its chain of reply and forward prefixes (Re: 回复： Fwd: 轉寄: ...)."""
    text = subject or ""
    while True:
        match = _SUBJECT_PREFIX.match(text)
        if not match:
            return text.strip()
        text = text[match.end() :]


_SEPARATOR = re.compile(r"^\s*-{2,}\s*(?:原始邮件|原始郵件|邮件原件|郵件原件|Original Message)\s*-{2,}\s*$", re.I)
_FROM_LINE = re.compile(r"^\s*\**\s*(?:发件人|發件人|寄件者|From)\s*\**\s*[:：]", re.I)
_HEADER_FOLLOWS = re.compile(
    r"^\s*\**\s*(?:发送时间|發送時間|寄件日期|日期|Sent|Date|主题|主題|主旨|Subject)\s*\**\s*[:：]", re.I
)
_WROTE_EN = re.compile(r"\swrote\s*:$", re.I)
_WROTE_ZH = re.compile(r"(?:写道|寫道)\s*[:：]$")
_ZH_AT = re.compile(r"[在于於]")
# A date-and-time or an address: what tells a real attribution from "On Monday the clerk wrote:".
_ATTRIBUTION_EVIDENCE = re.compile(r"\d{1,2}:\d{2}|@")
_RULE = re.compile(r"^\s*(?:_{8,}|-{8,})\s*$")
_HEADER_LOOKAHEAD = 5
_MAX_ATTRIBUTION_CHARS = 400


def _is_attribution(text: str) -> bool:
    text = text.strip()
    if len(text) > _MAX_ATTRIBUTION_CHARS or not text.endswith((":", "：")):
        return False
    if not _ATTRIBUTION_EVIDENCE.search(text):
        return False
    if text[:3].lower() == "on " and _WROTE_EN.search(text):
        return True
    return bool(_WROTE_ZH.search(text) and _ZH_AT.search(text) and re.search(r"\d", text))


def _quote_header_at(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _SEPARATOR.match(line):
        return True
    if _FROM_LINE.match(line):
        following = lines[index + 1 : index + 1 + _HEADER_LOOKAHEAD]
        if any(_HEADER_FOLLOWS.match(candidate) for candidate in following):
            return True
    if _is_attribution(line):
        return True
    # Mail clients wrap a long "On ... wrote:" / "在 ... 写道：" line in two.
    return index + 1 < len(lines) and _is_attribution(line.rstrip() + " " + lines[index + 1].strip())


def _find_quote_header(lines: list[str]) -> int | None:
    for index in range(len(lines)):
        if _quote_header_at(lines, index):
            # Outlook puts a rule of underscores above its 发件人/From block.
            above = index - 1
            while above >= 0 and not lines[above].strip():
                above -= 1
            return above if above >= 0 and _RULE.match(lines[above]) else index
    return None


def split_reply(text: str | None) -> tuple[str, str]:
    """(new text, quoted text). Quoting starts at a quote header (原始邮件, Original Message,
    发件人/From + 发送时间/Sent, On ... wrote:, 在 ... 写道：); without one, '>' lines are the quote."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _find_quote_header(lines)
    if cut is not None:
        return "\n".join(lines[:cut]).strip(), "\n".join(lines[cut:]).strip()
    new = [line for line in lines if not line.lstrip().startswith(">")]
    quoted = [line for line in lines if line.lstrip().startswith(">")]
    return "\n".join(new).strip(), "\n".join(quoted).strip()
