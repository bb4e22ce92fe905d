"""Near-duplicates: a Traditional copy and a lightly edited copy are found, unrelated reports not."""

import json
from pathlib import Path

import pytest
from zhconv import convert

from intake.triage.suggest.duplicates import DuplicateIndex, jaccard, shingles

DATA = Path(__file__).resolve().parents[1] / "data" / "triage" / "labelled_reports.jsonl"

ORIGINAL = (
    "政务大厅3号窗口那个女的态度太差了，我问她材料要复印几份，她头都不抬说墙上贴着自己看。"
    "我六十几岁眼睛看不清楚，问第二遍就吼我。"
)
EDITED = (
    "政务大厅三号窗口那个女的态度太差，我问她材料复印几份，她头都不抬说墙上贴着自己去看。"
    "我六十多岁眼睛看不清楚，问第二遍就吼我！"
)
UNRELATED = "我们是做竹笋加工的企业，2023年的技改补贴说好的30万，到现在一分都没拨下来，去工科局问了好几次都说在走程序。"


@pytest.fixture(scope="module")
def index():
    index = DuplicateIndex()
    with DATA.open(encoding="utf-8") as f:
        for n, line in enumerate(f):
            index.add(f"set-{n}", json.loads(line)["text"])
    index.add("original", ORIGINAL)
    return index


def test_traditional_copy_is_found(index):
    found = index.similar(convert(ORIGINAL, "zh-tw"), threshold=0.8)
    assert found[0] == ("original", 1.0) or found[0][0] == "original"
    assert found[0][1] >= 0.9


def test_lightly_edited_copy_is_found(index):
    assert jaccard(ORIGINAL, EDITED) > 0.5  # the edit is light, but not nothing
    found = dict(index.similar(EDITED, threshold=0.45))
    assert "original" in found
    # The estimate is close to the exact Jaccard similarity.
    assert abs(found["original"] - jaccard(ORIGINAL, EDITED)) < 0.15


def test_unrelated_report_is_not(index):
    assert all(item != "original" for item, _ in index.similar(UNRELATED, threshold=0.3))
    assert index.similar("", threshold=0.5) == []


def test_punctuation_and_width_do_not_matter():
    assert shingles("态度，太差！！") == shingles("態度 太差")
    index = DuplicateIndex()
    index.add(1, "窗口３号 态度差")
    assert index.similar("窗口3号，態度差。", threshold=0.9) == [(1, 1.0)]


def test_groups_remove_and_stored_signatures():
    index = DuplicateIndex()
    index.add("a", ORIGINAL)
    index.add("b", convert(ORIGINAL, "zh-hant"))
    index.add("c", EDITED)
    index.add("d", UNRELATED)
    assert index.groups(threshold=0.45) == [["a", "b", "c"]]
    index.remove("b")
    assert "b" not in index and len(index) == 3
    # Signatures are deterministic across indexes, so they can be stored and re-added.
    other = DuplicateIndex()
    other.add_signature("a", index.signature(ORIGINAL))
    assert other.similar(ORIGINAL, threshold=0.99) == [("a", 1.0)]
