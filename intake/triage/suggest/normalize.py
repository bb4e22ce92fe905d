"""Text normalization for matching only (the caller stores what the reporter wrote).

Traditional → Simplified, full-width → half-width, lowercase, whitespace collapsed, invisible
characters dropped, so 政務大廳 and 政务大厅, ＡＢＣ and abc, compare equal."""

import functools
import re
import unicodedata

from zhconv import convert

# Zero-width and BOM characters that WeChat and mail clients leave inside words.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Characters zhconv leaves as they are because they are also valid Simplified, folded for
# matching only: 貼著 stays 贴著 otherwise, and the Traditional copy no longer matches 贴着.
_FOLD = str.maketrans({"著": "着", "祇": "只", "衹": "只"})
_SPACE = re.compile(r"\s+")
# What is left after dropping punctuation and spaces: CJK, letters, digits.
_NOT_WORD = re.compile(r"[^\w]|_", re.UNICODE)

# Words that, just before a term, say it did *not* happen ("从不收红包", "没有索要").
# "不给" / "不送" are left out on purpose: "不给红包就不办" is the complaint itself.
NEGATORS = (
    "没有",
    "没",
    "从不",
    "从没",
    "从来不",
    "从来没",
    "未曾",
    "未",
    "拒收",
    "拒绝",
    "不收",
    "不要",
    "不拿",
    "不吃",
    "不存在",
    "杜绝",
    "严禁",
    "禁止",
    "莫得",
    "无",
)


# Texts up to this long are remembered: the lexicons' words, unit names and aliases, subjects.
# They are normalized again for every report (the priority scan, each batch's scorer), and were
# most of the time of suggesting a batch of mail. A report's body is not kept (long, seen once).
CACHED_LENGTH = 64


def normalize(text: str | None) -> str:
    """The matching form of `text`: Simplified, half-width, lowercase, single spaces."""
    if not text:
        return ""
    if len(text) <= CACHED_LENGTH:
        return _normalize_short(text)
    return _normalize(text)


@functools.lru_cache(maxsize=16384)
def _normalize_short(text: str) -> str:
    return _normalize(text)


def _normalize(text: str) -> str:
    # NFKC folds full-width ASCII and the ideographic space to their half-width forms.
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = convert(text, "zh-cn").translate(_FOLD)
    return _SPACE.sub(" ", text).strip().lower()


def compact(text: str | None) -> str:
    """`normalize` without punctuation or spaces: for shingling, where layout is noise."""
    return _NOT_WORD.sub("", normalize(text))


def is_negated(normalized: str, start: int, window: int = 3) -> bool:
    """Whether a negator ends just before position `start` in a normalized text.

    Multi-character negators may be up to `window` characters away ("从不收一分红包"); single
    characters only next to the term or one character away ("没索要"), so "无奈给了红包" counts.
    Not giving is no negation: "没给红包就不办" is the complaint itself."""
    before = normalized[max(0, start - window - 4) : start]
    for negator in NEGATORS:
        pos = before.rfind(negator)
        if pos == -1:
            continue
        gap = before[pos + len(negator) :]
        if len(gap) > (window if len(negator) > 1 else 1):
            continue
        if gap[:1] in ("给", "送", "塞", "交"):
            continue
        return True
    return False
