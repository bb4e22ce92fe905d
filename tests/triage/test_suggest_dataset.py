"""The labelled set covers what the brief asks: every category, the listed units, both scripts."""

import json
from collections import Counter
from pathlib import Path

from zhconv import convert

from intake.reference.seed_data import CATEGORIES, UNITS

DATA = Path(__file__).resolve().parents[1] / "data" / "triage" / "labelled_reports.jsonl"


def _rows():
    with DATA.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_size_fields_and_codes():
    rows = _rows()
    assert len(rows) >= 400
    unit_codes = {u["code"] for u in UNITS}
    leaf_codes = {c["code"] for top in CATEGORIES for c in top.get("children", [top])}
    for row in rows:
        assert row["text"].strip()
        assert row["unit"] in unit_codes
        assert row["category"] in leaf_codes
        assert row["script"] in ("hans", "hant")
    assert len({row["text"] for row in rows}) == len(rows)


def test_coverage():
    rows = _rows()
    categories = Counter(r["category"] for r in rows)
    leaves = {c["code"] for top in CATEGORIES for c in top.get("children", [top])}
    assert set(categories) == leaves and min(categories.values()) >= 25
    units = Counter(r["unit"] for r in rows)
    supervised = [u["code"] for u in UNITS if u.get("supervised")]
    assert sorted(supervised) == ["gk", "zwfw"]
    assert all(units[code] >= 100 for code in supervised)
    assert min(units.values()) >= 8
    scripts = Counter(r["script"] for r in rows)
    assert 0.2 <= scripts["hant"] / len(rows) <= 0.3


def test_script_label_matches_text():
    for row in _rows():
        is_traditional = convert(row["text"], "zh-cn") != row["text"]
        assert is_traditional == (row["script"] == "hant"), row["text"]
