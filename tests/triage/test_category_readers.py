"""The project's own sets carry the category the blind readers were sure of (issue 17;
tests/data/triage/readers.py): every report read, the same texts, the project's label kept."""

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "triage"
SETS = ("labelled_reports", "dev_reports", "dev2_reports", "dev3_reports", "dev4_reports", "heldout_reports")


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_sets_carry_the_categories_the_readers_were_sure_of():
    readers = {row["id"]: row for row in _rows(DATA / "category_readers.jsonl")}
    seen, changed = set(), 0
    for stem in SETS:
        for line, row in enumerate(_rows(DATA / f"{stem}.jsonl"), start=1):
            reader = readers[f"{stem}:{line}"]
            seen.add(reader["id"])
            assert reader["text"] == row["text"]
            project = row.get("category_project", row["category"])
            if reader["sure"] and reader["category"] != project:
                assert row["category"] == reader["category"] and "category_project" in row
                changed += 1
            else:
                assert "category_project" not in row
    assert seen == set(readers) and len(seen) == 829 and changed == 18


# Sets written with the definitions (writers 5–8, 10, 11), each report read once more by a blind
# reader with the same definitions (`category_readers_defs.jsonl`, same keys); where the reader
# was sure of another category the set carries it, the writer's kept as `category_writer`.
WRITERS_SETS = ("dev5_reports", "dev6_reports", "dev7_reports", "dev8_reports", "dev10_reports", "dev11_reports")


def test_the_writers_sets_carry_the_categories_the_readers_were_sure_of():
    readers = {row["id"]: row for row in _rows(DATA / "category_readers_defs.jsonl")}
    seen, changed, agree = set(), 0, 0
    for stem in WRITERS_SETS:
        for line, row in enumerate(_rows(DATA / f"{stem}.jsonl"), start=1):
            reader = readers[f"{stem}:{line}"]
            seen.add(reader["id"])
            assert reader["text"] == row["text"]
            writer = row.get("category_writer", row["category"])
            agree += reader["category"] == writer
            if reader["sure"] and reader["category"] != writer:
                assert row["category"] == reader["category"] and "category_writer" in row
                changed += 1
            else:
                assert "category_writer" not in row
    assert seen == set(readers) and len(seen) == 2400 and changed == 17
    assert agree / len(seen) > 0.95  # writers with the definitions and their readers agree
