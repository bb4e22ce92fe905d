"""Unit suggestions per labelled set, each judged as new (issue 17, dev5 and dev6).

Each development set is judged with a model trained without it (cross-fitted); the held-out
set with a model trained on everything else.
Prints unit accuracy, abstentions (wrong ones: where a unit could be told), unit auto-apply
precision and auto-apply precision over both fields, under a calibration file (default: the
shipped one). Models are cached in --cache (they depend on the data only).

    .venv/bin/python bench/triage_unit_sets.py [--calibration FILE] [--cache DIR]
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intake.triage.suggest import classifier, evaluation  # noqa: E402
from intake.triage.suggest.calibration import Calibration  # noqa: E402
from intake.triage.suggest.evidence import seed_scorer  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "triage"
BASE = ["labelled_reports.jsonl", "category_reports.jsonl"]
DEVS = [f"{n}_reports.jsonl" for n in ("dev", "dev2", "dev3", "dev4", "dev5", "dev6")]


def model_without(left_out: str, cache: Path, category_words) -> classifier.Model:
    names = BASE + [d for d in DEVS if d != left_out]
    path = cache / f"model-without-{left_out.split('_')[0]}.joblib"
    if path.exists():
        return classifier.Model.load(path)
    model = classifier.train([e for n in names for e in classifier.load_jsonl(DATA / n)], category_words)
    model.save(path)
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calibration", default=None)
    parser.add_argument("--cache", default="/tmp/triage-unit-sets-v3")
    args = parser.parse_args()
    cache = Path(args.cache)
    os.makedirs(cache, exist_ok=True)
    scorer = seed_scorer(Calibration.load(args.calibration) if args.calibration else None)
    auto = scorer.calibration.auto_apply
    print(
        f"calibration: {scorer.calibration.fitted_on}; auto-apply unit ≥ {auto['unit']}, category ≥ {auto['category']}"
    )
    print("| set | n | unit acc | unit macro-F1 | abstained (wrongly) | unit auto-applied precision | both fields |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    runs = [("dev6", "dev6_reports.jsonl"), ("dev5", "dev5_reports.jsonl"), ("heldout", "none")]
    runs += [(d.split("_")[0], d) for d in DEVS[:4]]
    for name, left_out in runs:
        model = model_without(left_out, cache, scorer.category_words)
        rows = evaluation.load_set(DATA / f"{name}_reports.jsonl")
        result = evaluation.evaluate_set(
            rows, lambda text, m=model: scorer.judge("", text, m.probabilities("\n" + text)), auto
        )
        f = result.overall
        unit_applied = [o.unit_right for o in result.outcomes if o.unit_applied]
        print(
            f"| {name} | {f.n} | {f.unit_accuracy:.3f} | {f.unit_macro_f1:.3f} | {f.abstentions} "
            f"({f.abstentions - f.abstentions_right}) | {sum(unit_applied)}/{len(unit_applied)} = "
            f"{sum(unit_applied) / max(len(unit_applied), 1):.3f} | {f.applied_right}/{f.applied} = "
            f"{f.applied_precision:.3f} |"
        )
        for part, g in (("hard", result.by_difficulty.get("hard")), *result.by_script.items()):
            if name in ("dev5", "dev6") and g is not None:
                print(f"|   {name} {part} | {g.n} | {g.unit_accuracy:.3f} | {g.unit_macro_f1:.3f} | | | |")


if __name__ == "__main__":
    main()
