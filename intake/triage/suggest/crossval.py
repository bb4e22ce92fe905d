"""Leave-one-writer-out validation of the category (and unit) suggestion (issue 17).

The labelled sets come from nine writers: the project's own reports, the development writer's
(four development sets, plus the held-out set, which is only ever tested on), and seven writers
given the category definitions (`tests/data/triage/writers/`): the category writer's and those of
dev5–dev8, dev10 and dev11 (these also had the unit list; writers 9, 12 and 13 judge only and are
in no fold). Each writer in turn is held out: the
model is trained on the other writers' reports and judged on that writer's, so every figure is on
wording by hands the model never saw. The evidence (rules, cue words) was written by the
development writer's hand and tuned on dev5's and dev6's failures, so those folds flatter the
evidence. The writers with the definitions are the judges of a change to the category (their
mean is printed apart): the project's and the development writer's labels were given without
the written definitions.

For each held-out writer it prints category accuracy and macro-F1 of the full suggestion
(evidence and model combined as in production), of the model alone and of the evidence alone,
the unit accuracy of the full suggestion (abstaining is right only where no unit can be
told), so that a change for the category can be seen not to cost the unit, and the precision of
what would be applied on its own (confidence at or above the shipped calibration's auto-apply
thresholds; the calibration was fitted with a model trained on every writer, so this is a guide).

    python -m intake.triage.suggest.crossval
    flask --app wsgi intake classifier crossval     # the same with the database's rules
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from intake.triage.suggest import classifier
from intake.triage.suggest.evaluation import load_set, macro_f1

DATA = Path(__file__).resolve().parents[3] / "tests" / "data" / "triage"


@dataclass(frozen=True)
class Writer:
    name: str
    trained_on: tuple[str, ...]  # sets this writer's fold tests and the other folds train on
    tested_only: tuple[str, ...] = ()  # sets never trained on (calibration's held-out set)

    def rows(self, data: Path = DATA, with_tested_only: bool = True) -> list[dict]:
        names = self.trained_on + (self.tested_only if with_tested_only else ())
        return [row for name in names for row in load_set(data / name)]


WRITERS = (
    Writer("project", ("labelled_reports.jsonl",)),
    Writer(
        "dev",
        ("dev_reports.jsonl", "dev2_reports.jsonl", "dev3_reports.jsonl", "dev4_reports.jsonl"),
        ("heldout_reports.jsonl",),
    ),
    Writer("category", ("category_reports.jsonl",)),
    Writer("dev5", ("dev5_reports.jsonl",)),
    Writer("dev6", ("dev6_reports.jsonl",)),
    Writer("dev7", ("dev7_reports.jsonl",)),
    Writer("dev8", ("dev8_reports.jsonl",)),
    Writer("dev10", ("dev10_reports.jsonl",)),
    Writer("dev11", ("dev11_reports.jsonl",)),
)
# The writers who were given the category definitions: the judges of a change to the category.
WITH_DEFINITIONS = ("category", "dev5", "dev6", "dev7", "dev8", "dev10", "dev11")
WAYS = ("full", "model", "evidence")


@dataclass
class Fold:
    writer: str
    n_train: int
    n: int
    category: dict[str, tuple[float, float]]  # way → (accuracy, macro-F1)
    unit_accuracy: float  # full suggestion
    unit_accuracy_evidence: float
    # Fields the full suggestion would apply on its own: (right, applied) per head.
    applied: dict[str, tuple[int, int]] = field(default_factory=dict)


def _accuracy(truth: Sequence, predicted: Sequence) -> float:
    return round(sum(t == p for t, p in zip(truth, predicted)) / len(truth), 4) if truth else 0.0


def run_fold(
    writer: Writer,
    scorer,
    train: Callable[..., object] = classifier.train,
    writers: Sequence[Writer] = WRITERS,
    data: Path = DATA,
) -> Fold:
    """Train on every other writer's reports, judge this writer's three ways."""
    train_rows = [row for other in writers if other.name != writer.name for row in other.rows(data, False)]
    examples = [classifier.Example(r["text"], r.get("unit"), r.get("category")) for r in train_rows]
    model = train(examples, scorer.category_words)
    test_rows = writer.rows(data)
    truth = [r["category"] for r in test_rows]
    predicted: dict[str, list] = {way: [] for way in WAYS}
    units, units_evidence = [], []
    applied = {"unit": [0, 0], "category": [0, 0]}
    thresholds = scorer.calibration.auto_apply
    for row in test_rows:
        probabilities = model.probabilities(row["text"])
        full = scorer.judge("", row["text"], probabilities)
        alone = scorer.judge("", row["text"], None)
        by_model = probabilities.get("category") or {}
        predicted["full"].append(full.category.key)
        predicted["evidence"].append(alone.category.key)
        predicted["model"].append(max(by_model, key=by_model.get) if by_model else None)
        units.append(full.unit.key == row.get("unit"))
        units_evidence.append(alone.unit.key == row.get("unit"))
        for head, suggestion in (("unit", full.unit), ("category", full.category)):
            if suggestion.key is not None and suggestion.confidence >= thresholds[head]:
                applied[head][0] += suggestion.key == row.get(head)
                applied[head][1] += 1
    return Fold(
        writer=writer.name,
        n_train=len(examples),
        n=len(test_rows),
        category={way: (_accuracy(truth, p), macro_f1(truth, p)) for way, p in predicted.items()},
        unit_accuracy=round(sum(units) / len(units), 4),
        unit_accuracy_evidence=round(sum(units_evidence) / len(units), 4),
        applied={head: (right, n) for head, (right, n) in applied.items()},
    )


def crossval(scorer, train: Callable[..., object] = classifier.train, data: Path = DATA) -> list[Fold]:
    return [run_fold(writer, scorer, train, WRITERS, data) for writer in WRITERS]


def mean(folds: Sequence[Fold], name: str = "mean of writers") -> Fold:
    """The unweighted mean over writers: each writer's style counts once, whatever its size
    (auto-applied fields are pooled)."""
    k = len(folds)
    return Fold(
        writer=name,
        n_train=0,
        n=sum(f.n for f in folds),
        category={
            way: (
                round(sum(f.category[way][0] for f in folds) / k, 4),
                round(sum(f.category[way][1] for f in folds) / k, 4),
            )
            for way in WAYS
        },
        unit_accuracy=round(sum(f.unit_accuracy for f in folds) / k, 4),
        unit_accuracy_evidence=round(sum(f.unit_accuracy_evidence for f in folds) / k, 4),
        applied={
            head: (
                sum(f.applied.get(head, (0, 0))[0] for f in folds),
                sum(f.applied.get(head, (0, 0))[1] for f in folds),
            )
            for head in ("unit", "category")
        },
    )


def _applied(f: Fold, head: str) -> str:
    right, n = f.applied.get(head, (0, 0))
    return f"{right}/{n} = {right / n:.3f}" if n else "0/0"


def report_lines(folds: Sequence[Fold]) -> list[str]:
    lines = [
        "| held-out writer | n (train) | category acc: full | model | evidence "
        "| category macro-F1: full | model | evidence | unit acc: full | evidence "
        "| auto-applied right/applied: unit | category |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    judges = [f for f in folds if f.writer in WITH_DEFINITIONS]
    extra = [mean(judges, "mean, writers with definitions")] if judges else []
    for f in [*folds, *extra, mean(folds)]:
        c = f.category
        lines.append(
            f"| {f.writer} | {f.n} ({f.n_train}) | {c['full'][0]:.3f} | {c['model'][0]:.3f} | {c['evidence'][0]:.3f} "
            f"| {c['full'][1]:.3f} | {c['model'][1]:.3f} | {c['evidence'][1]:.3f} "
            f"| {f.unit_accuracy:.3f} | {f.unit_accuracy_evidence:.3f} | {_applied(f, 'unit')} | {_applied(f, 'category')} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m intake.triage.suggest.crossval", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", type=Path, default=DATA, help="the folder of the labelled sets")
    args = parser.parse_args(argv)
    from intake.triage.suggest.evidence import seed_scorer

    print("\n".join(report_lines(crossval(seed_scorer(), data=args.data))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
