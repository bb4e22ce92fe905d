"""Write dev_reports.jsonl (to tune on) and heldout_reports.jsonl (calibration and final figures
only) from dev_reports_src.tsv, and dev2/dev3/dev4_reports.jsonl from their .tsv (rows marked
hant are written out in Traditional). Same keys as labelled_reports.jsonl, plus script and difficulty;
where a blind reader with the category definitions was sure of another category, that category,
the .tsv's kept as category_project (readers.py).

    python tests/data/triage/build_dev_reports.py
"""

import json
import sys
from pathlib import Path

from zhconv import convert

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from readers import apply  # noqa: E402


def rows(source: str = "dev_reports_src.tsv"):
    lines = (HERE / source).read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if line.strip() and not line.startswith("#")]
    for i, line in enumerate(lines):
        text, unit, category, difficulty, script = line.split("\t")
        traditional = script == "hant"
        yield (
            i,
            {
                "text": convert(text, "zh-tw") if traditional else text,
                "unit": None if unit == "-" else unit,
                "category": category,
                "origin": "dev",
                "script": "hant" if traditional else "hans",
                "difficulty": difficulty,
            },
        )


def _write(name: str, part: list[dict]) -> None:
    with open(HERE / name, "w", encoding="utf-8") as f:
        for row in apply(name, part):
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(name, len(part))


def main() -> None:
    dev, held = [], []
    for i, row in rows():
        (held if i % 3 == 2 else dev).append(row)
    _write("dev_reports.jsonl", dev)
    # The second set was looked at whole (a check of how far the first tuning carried): all dev.
    _write("dev2_reports.jsonl", [row for _, row in rows("dev2_reports_src.tsv")])
    _write("dev3_reports.jsonl", [row for _, row in rows("dev3_reports_src.tsv")])
    _write("dev4_reports.jsonl", [row for _, row in rows("dev4_reports_src.tsv")])
    # Written before the second round of tuning; calibration and final figures only.
    held += [row for _, row in rows("heldout2_reports_src.tsv")]
    _write("heldout_reports.jsonl", held)


if __name__ == "__main__":
    main()
