"""The frozen evaluation set of issue 17 judges the suggestions; it must never train or
calibrate them, or its figures would flatter (bench/README.md)."""

import json
from pathlib import Path

from intake.triage import training

FROZEN = Path(__file__).resolve().parent.parent / "data" / "triage" / "eval_frozen.jsonl"


def test_the_frozen_set_is_no_training_or_calibration_set():
    used = {Path(p).name for p in [training.SHIPPED_SET, *training.DEVELOPMENT_SETS]}
    assert FROZEN.name not in used
    calibration = Path(training.__file__).resolve().parent / "suggest" / "calibration.json"
    assert FROZEN.name not in calibration.read_text(encoding="utf-8")


def test_the_frozen_set_is_whole():
    rows = [json.loads(line) for line in FROZEN.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == 468
    assert {r["origin"] for r in rows} == {"frozen-eval"}
    assert sum(r["script"] == "hant" for r in rows) / len(rows) >= 0.25
