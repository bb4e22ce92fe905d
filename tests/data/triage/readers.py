"""The category of the project's own labelled reports as two blind readers decided it (issue 17).

The sets written before the category definitions (labelled_reports, dev–dev4, heldout; 829
reports) were labelled by the project's hands without `writers/categories.md`. Two readers who
saw only those definitions and the texts (never the labels, rules or model) labelled them again,
each half of them, saying whether they were sure and their second choice:
`category_readers.jsonl`, one row per report, `id` = "<set stem>:<1-based line>".

Where the reader was sure and chose otherwise (18 reports), the sets carry the reader's category
in `category` and the project's in `category_project`; where the reader hesitated, the
project's label stays (it was the reader's second choice in most of them). The build scripts
apply this when they write the sets (bench/README.md, "Relabelling the project's sets").
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
READERS = HERE / "category_readers.jsonl"


def readers() -> dict[str, dict]:
    rows = (json.loads(line) for line in READERS.read_text(encoding="utf-8").splitlines() if line.strip())
    return {row["id"]: row for row in rows}


def apply(name: str, rows: list[dict]) -> list[dict]:
    """The rows of set `name` (e.g. "dev_reports.jsonl") with the sure readers' categories."""
    stem = Path(name).stem
    found = readers()
    for line, row in enumerate(rows, start=1):
        reader = found.get(f"{stem}:{line}")
        if reader is None:
            continue
        if reader["text"] != row["text"]:
            raise ValueError(f"{stem}:{line}: the readers saw another text; relabel or renumber")
        if reader["sure"] and reader["category"] != row["category"]:
            row["category_project"] = row["category"]
            row["category"] = reader["category"]
    return rows
