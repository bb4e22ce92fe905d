"""The labelled sets carry the category the blind readers were sure of (issue 17;
tests/data/triage/readers.py): every report read, the same texts, the first label kept.

- The project's own sets (written before the definitions), read by two readers, each half of
  them (`category_readers.jsonl`); the project's label kept as `category_project`.
- The sets written with the definitions (writers 5–8, 10, 11), each report read once more by a
  blind reader with the same definitions (`category_readers_defs.jsonl`, same keys); the
  writer's label kept as `category_writer`.
"""

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "triage"
SETS = ("labelled_reports", "dev_reports", "dev2_reports", "dev3_reports", "dev4_reports", "heldout_reports")
WRITERS_SETS = ("dev5_reports", "dev6_reports", "dev7_reports", "dev8_reports", "dev10_reports", "dev11_reports")


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _relabelled(readers_file: str, stems: tuple[str, ...], kept: str) -> tuple[int, int, float]:
    """Check each set against its readers; returns (reports read, relabelled, agreement with the
    first label)."""
    readers = {row["id"]: row for row in _rows(DATA / readers_file)}
    seen, changed, agree = set(), 0, 0
    for stem in stems:
        for line, row in enumerate(_rows(DATA / f"{stem}.jsonl"), start=1):
            reader = readers[f"{stem}:{line}"]
            seen.add(reader["id"])
            assert reader["text"] == row["text"]
            first = row.get(kept, row["category"])
            agree += reader["category"] == first
            if reader["sure"] and reader["category"] != first:
                assert row["category"] == reader["category"] and kept in row
                changed += 1
            else:
                assert kept not in row
    assert seen == set(readers)
    return len(seen), changed, agree / len(seen)


def test_the_sets_carry_the_categories_the_readers_were_sure_of():
    read, changed, _ = _relabelled("category_readers.jsonl", SETS, "category_project")
    assert (read, changed) == (829, 18)


def test_the_writers_sets_carry_the_categories_the_readers_were_sure_of():
    read, changed, agreement = _relabelled("category_readers_defs.jsonl", WRITERS_SETS, "category_writer")
    assert (read, changed) == (2400, 17)
    assert agreement > 0.95  # writers with the definitions and their readers agree
