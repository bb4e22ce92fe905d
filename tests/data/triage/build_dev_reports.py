"""Write dev_reports.jsonl (to tune on) and heldout_reports.jsonl (calibration and final figures
only) from dev_reports_src.py. Same keys as labelled_reports.jsonl, plus script and difficulty.

    python tests/data/triage/build_dev_reports.py
"""

import json
from pathlib import Path

from zhconv import convert

HERE = Path(__file__).resolve().parent


def rows():
    import sys

    sys.path.insert(0, str(HERE))
    from dev_reports_src import ROWS

    for i, (text, unit, category, difficulty, traditional) in enumerate(ROWS):
        yield i, {
            "text": convert(text, "zh-tw") if traditional else text,
            "unit": unit,
            "category": category,
            "origin": "dev",
            "script": "hant" if traditional else "hans",
            "difficulty": difficulty,
        }


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
