"""Write dev_reports.jsonl (to tune on) and heldout_reports.jsonl (calibration and final figures
only) from dev_reports_src.tsv (rows marked hant are written out in Traditional). Same keys as labelled_reports.jsonl, plus script and difficulty.

    python tests/data/triage/build_dev_reports.py
"""

import json
from pathlib import Path

from zhconv import convert

HERE = Path(__file__).resolve().parent


def rows():
    lines = (HERE / "dev_reports_src.tsv").read_text(encoding="utf-8").splitlines()
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


def main() -> None:
    dev, held = [], []
    for i, row in rows():
        (held if i % 3 == 2 else dev).append(row)
    for name, part in (("dev_reports.jsonl", dev), ("heldout_reports.jsonl", held)):
        with open(HERE / name, "w", encoding="utf-8") as f:
            for row in part:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(name, len(part))


if __name__ == "__main__":
    main()
