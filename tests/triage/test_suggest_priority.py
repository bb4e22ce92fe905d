"""Priority hints: urgency and integrity words raise the priority and flag the item."""

import pytest

from intake.triage.suggest.priority import HIGH, NORMAL, URGENT, priority_hint


@pytest.mark.parametrize(
    ("text", "priority", "flags", "words"),
    [
        ("窗口工作人员索要红包，不给就不办", HIGH, ("integrity",), {"索要", "红包"}),
        ("窗口工作人員索要紅包，不給就不辦", HIGH, ("integrity",), {"索要", "红包"}),  # Traditional
        ("經辦人收了好處費和回扣", HIGH, ("integrity",), {"好处费", "回扣"}),
        ("吃拿卡要现象严重", HIGH, ("integrity",), {"吃拿卡要"}),
        ("我反映以后他们打击报复，在审批上卡我", HIGH, ("retaliation",), {"打击报复"}),
        ("有人威胁我，不准举报", HIGH, ("retaliation",), {"威胁", "不准举报"}),
        ("他说再来就打人，我的人身安全受到威胁", URGENT, ("safety", "retaliation"), {"人身安全", "威胁"}),
        ("老人说办不下来就自杀", URGENT, ("safety",), {"自杀"}),
        ("索要红包不成就威胁我", URGENT, ("retaliation", "integrity"), {"索要", "红包", "威胁"}),
        ("非常紧急，明天截止", HIGH, ("urgency",), {"紧急", "明天截止"}),
        ("排队太久了，态度也不好", NORMAL, (), set()),
    ],
)
def test_flags_and_priority(text, priority, flags, words):
    hint = priority_hint(text)
    assert hint.priority == priority
    assert set(hint.flags) == set(flags)
    assert {w for found in hint.words.values() for w in found} >= words
    assert hint.raised is (priority != NORMAL)


def test_longest_word_only():
    hint = priority_hint("遭到打击报复")
    assert hint.words == {"retaliation": ("打击报复",)}  # not also 报复


def test_negated_and_feared_words_are_shown_but_do_not_count():
    praise = priority_hint("表扬", "窗口的小李从不收红包，也没有索要过好处费")
    assert praise.priority == NORMAL and praise.flags == ()
    assert set(praise.negated) == {"红包", "索要", "好处费"}
    fear = priority_hint("态度差", "我不想留名字，怕被穿小鞋")
    assert fear.priority == NORMAL and fear.feared == ("穿小鞋",)
    # ... but not giving is the complaint itself.
    assert priority_hint("没给红包就不给办").flags == ("integrity",)


def test_no_false_alarm_on_word_boundaries():
    assert priority_hint("打人社局电话问养老金，没人接").priority == NORMAL


def test_subject_and_body_both_scanned():
    assert priority_hint("紧急", "材料的事").flags == ("urgency",)
    assert priority_hint(None, "他收了红包").flags == ("integrity",)
