"""Priority hints: words that signal danger, retaliation, petty corruption or urgency raise
the suggested priority and flag the item, with the words found.

Matching runs on normalized text (Traditional variants match too); a word right after a
negator ("从不收红包", "没有索要") does not count but is reported as negated, and a word after
a fear ("怕被穿小鞋") is reported as feared: the reporter wants protection (权益保障), which
staff must see, but nothing has happened yet."""

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from intake.triage.suggest.normalize import is_negated, normalize

# "怕被穿小鞋", "担心打击报复": a fear, not an event.
FEAR_WORDS = ("害怕", "担心", "担忧", "怕", "以免", "免得", "生怕")

# Values of intake.feedback.models.Priority, kept as strings so this module needs no app.
NORMAL, HIGH, URGENT = "normal", "high", "urgent"
_RANK = {NORMAL: 0, HIGH: 1, URGENT: 2}

SAFETY, RETALIATION, INTEGRITY, URGENCY = "safety", "retaliation", "integrity", "urgency"

# flag → (priority it raises to on its own, words). Longer words are matched first, so
# 打击报复 is found once, not also as 报复.
LEXICON: dict[str, tuple[str, tuple[str, ...]]] = {
    # 人身安全: someone may get hurt; answer today.
    SAFETY: (
        URGENT,
        (
            "人身安全",
            "自杀",
            "轻生",
            "不想活",
            "跳楼",
            "寻死",
            "喝农药",
            "同归于尽",
            "打了人",
            "殴打",
            "被打",
            "动手打",
            "打伤",
            "砍人",
            "伤人",
            "持刀",
            "生命危险",
            "人身威胁",
        ),
    ),
    # 打击报复: the reporter's protection (权益保障) is at stake.
    RETALIATION: (
        HIGH,
        (
            "打击报复",
            "报复",
            "威胁",
            "恐吓",
            "穿小鞋",
            "秋后算账",
            "找人收拾",
            "整我",
            "删帖",
            "不准反映",
            "不准举报",
            "举报人信息",
            "泄露",
        ),
    ),
    # 吃拿卡要: petty corruption at the window.
    INTEGRITY: (
        HIGH,
        (
            "吃拿卡要",
            "索要",
            "索贿",
            "受贿",
            "行贿",
            "红包",
            "好处费",
            "回扣",
            "辛苦费",
            "茶水费",
            "加急费",
            "请吃饭",
            "请他吃饭",
            "塞钱",
            "收钱",
            "送礼",
            "烟酒",
            "意思一下",
            "打点",
            "关系户",
            "走后门",
            "吃空饷",
            "截留",
            "优亲厚友",
            "赞助费",
            "条烟",
            "猫腻",
            "私下收",
        ),
    ),
    # 紧急: a deadline or a loss that will not wait.
    URGENCY: (
        HIGH,
        (
            "紧急",
            "十万火急",
            "火烧眉毛",
            "等不起",
            "马上到期",
            "明天截止",
            "今天截止",
            "来不及",
            "停产",
            "断水",
            "断电",
            "生病住院",
            "救命",
        ),
    ),
}


@dataclass(frozen=True)
class PriorityHint:
    """A suggested priority, the flags raised and, per flag, the words that raised it."""

    priority: str = NORMAL
    flags: tuple[str, ...] = ()
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    negated: tuple[str, ...] = ()  # words found but denied ("从不收红包"): shown, not counted
    feared: tuple[str, ...] = ()  # words the reporter fears ("怕被穿小鞋"): shown, not counted

    @property
    def raised(self) -> bool:
        return self.priority != NORMAL


def _is_feared(text: str, start: int, window: int = 3) -> bool:
    before = text[max(0, start - window - 2) : start]
    return any(0 <= len(before) - (before.rfind(w) + len(w)) <= window for w in FEAR_WORDS if w in before)


def _max(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


def _terms(lexicon: Mapping[str, tuple[str, Sequence[str]]]) -> list[tuple[str, str]]:
    """The lexicon's words normalized, with their flag, longest first."""
    return sorted(
        ((normalize(w), flag) for flag, (_, words) in lexicon.items() for w in words), key=lambda t: -len(t[0])
    )


@functools.cache
def _shipped_terms() -> list[tuple[str, str]]:
    # Sorted once per process, not once per report (a batch of mail is thousands of reports).
    return _terms(LEXICON)


def priority_hint(
    subject: str | None, body: str | None = None, lexicon: Mapping[str, tuple[str, Sequence[str]]] = LEXICON
) -> PriorityHint:
    """Scan a report and suggest a priority. Two different flags together (integrity and
    retaliation, say) make it urgent: the reporter is likely already paying for speaking up."""
    text = normalize(" ".join(p for p in (subject, body) if p))
    terms = _shipped_terms() if lexicon is LEXICON else _terms(lexicon)
    taken: list[tuple[int, int]] = []
    words: dict[str, list[str]] = {}
    negated: list[str] = []
    feared: list[str] = []
    for term, flag in terms:
        start = text.find(term)
        while start != -1:
            end = start + len(term)
            if all(end <= s or start >= e for s, e in taken):
                taken.append((start, end))
                if is_negated(text, start):
                    if term not in negated:
                        negated.append(term)
                elif _is_feared(text, start):
                    if term not in feared:
                        feared.append(term)
                elif term not in words.setdefault(flag, []):
                    words[flag].append(term)
            start = text.find(term, start + 1)

    flags = tuple(flag for flag in lexicon if words.get(flag))
    priority = NORMAL
    for flag in flags:
        priority = _max(priority, lexicon[flag][0])
    if len(flags) >= 2:
        priority = URGENT
    return PriorityHint(priority, flags, {f: tuple(words[f]) for f in flags}, tuple(negated), tuple(feared))
