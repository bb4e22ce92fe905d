"""How the learned model does on a held-out stratified split of a labelled set, per head and
per class, against the majority class and the seed rules (issue 4's evaluation; the product's
suggestions on a whole set are `evaluation.py`, across writers `crossval.py`).

    python -m intake.triage.suggest.classifier evaluate tests/data/triage/labelled_reports.jsonl
"""

import argparse
import json
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from intake.triage.suggest.classifier import HEADS, Example, _as_examples, combine, load_jsonl, train


@dataclass
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class HeadEvaluation:
    accuracy: float
    macro_f1: float
    baseline_accuracy: float  # always answering the most frequent training label
    baseline_macro_f1: float
    per_class: dict[Hashable, ClassScore] = field(default_factory=dict)
    n_train: int = 0
    n_test: int = 0


@dataclass
class Evaluation:
    seed: int
    test_size: float
    heads: dict[str, HeadEvaluation]


def _split(examples: list[Example], head: str, test_size: float, seed: int):
    """A split stratified on this head's labels. Labels seen once cannot be in both halves:
    they stay in training."""
    from sklearn.model_selection import train_test_split

    labelled = [e for e in examples if getattr(e, head) is not None]
    counts = Counter(getattr(e, head) for e in labelled)
    rare = [e for e in labelled if counts[getattr(e, head)] < 2]
    common = [e for e in labelled if counts[getattr(e, head)] >= 2]
    train_part, test_part = train_test_split(
        common, test_size=test_size, random_state=seed, stratify=[getattr(e, head) for e in common]
    )
    return train_part + rare, test_part


def _scores(truth: list, predicted: list, majority) -> HeadEvaluation:
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    labels = sorted(set(truth), key=str)
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    baseline = [majority] * len(truth)
    return HeadEvaluation(
        accuracy=round(accuracy_score(truth, predicted), 4),
        macro_f1=round(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0), 4),
        baseline_accuracy=round(accuracy_score(truth, baseline), 4),
        baseline_macro_f1=round(f1_score(truth, baseline, labels=labels, average="macro", zero_division=0), 4),
        per_class={
            label: ClassScore(round(p, 3), round(r, 3), round(f, 3), int(s))
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
    )


def evaluate(examples: Iterable, test_size: float = 0.25, seed: int = 4) -> Evaluation:
    """Accuracy and macro-F1 overall and per class on a held-out stratified split, per head,
    with the majority-class baseline of the same split."""
    examples = _as_examples(examples)
    return Evaluation(
        seed, test_size, {head: evaluate_head(*_split(examples, head, test_size, seed), head) for head in HEADS}
    )


def evaluate_head(train_part: Sequence, test_part: Sequence, head: str) -> HeadEvaluation:
    """Train on one part, score one head on the other (e.g. composed reports against the
    hand-written ones)."""
    train_part = [e for e in _as_examples(train_part) if getattr(e, head) is not None]
    test_part = [e for e in _as_examples(test_part) if getattr(e, head) is not None]
    model = train(train_part)
    truth = [getattr(e, head) for e in test_part]
    predicted = model.predict_labels([e.text for e in test_part], head)
    majority = Counter(getattr(e, head) for e in train_part).most_common(1)[0][0]
    result = _scores(truth, predicted, majority)
    result.n_train, result.n_test = len(train_part), len(test_part)
    return result


def _rules_accuracy(
    train_part: list[Example], test_part: list[Example], heads: Sequence[str] = HEADS
) -> dict[str, dict[str, float]]:
    """The seed-data rules alone and rules+model on the same test rows, for comparison."""
    from intake.triage.suggest.rules import seed_rule_set

    rules = seed_rule_set()
    model = train(train_part)
    out = {}
    for head in heads:
        rows = [e for e in test_part if getattr(e, head) is not None]
        hits_rules = hits_combined = answered = 0
        for e in rows:
            suggestion = rules.suggest("", e.text)
            rule_field = getattr(suggestion, head)
            answered += rule_field.found
            hits_rules += rule_field.key == getattr(e, head)
            merged = getattr(combine(suggestion, model.predict(e.text)), head)
            hits_combined += merged.key == getattr(e, head)
        n = len(rows)
        out[head] = {
            "rules_accuracy": round(hits_rules / n, 4),
            "rules_coverage": round(answered / n, 4),
            "combined_accuracy": round(hits_combined / n, 4),
        }
    return out


def _print_evaluation(evaluation: Evaluation, extra: dict, path: str) -> None:
    split = (
        f"held-out stratified split test_size={evaluation.test_size} seed={evaluation.seed}"
        if evaluation.test_size
        else "fixed split"
    )
    print(f"data: {path}; {split}")
    for head, result in evaluation.heads.items():
        print(
            f"\n{head}: train {result.n_train}, test {result.n_test}; "
            f"accuracy {result.accuracy:.3f}, macro-F1 {result.macro_f1:.3f} "
            f"(majority baseline: accuracy {result.baseline_accuracy:.3f}, macro-F1 {result.baseline_macro_f1:.3f})"
        )
        if head in extra:
            e = extra[head]
            print(
                f"  rules alone: accuracy {e['rules_accuracy']:.3f} (answers {e['rules_coverage']:.0%}); "
                f"rules+model: accuracy {e['combined_accuracy']:.3f}"
            )
        print(f"  | {'class':<10} | precision | recall | F1    | support |")
        print(f"  | {'-' * 10} | --------- | ------ | ----- | ------- |")
        for label, s in result.per_class.items():
            print(f"  | {str(label):<10} | {s.precision:9.3f} | {s.recall:6.3f} | {s.f1:5.3f} | {s.support:7d} |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m intake.triage.suggest.classifier", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="accuracy and macro-F1 on a held-out split, per class")
    ev.add_argument("data")
    ev.add_argument("--seed", type=int, default=4)
    ev.add_argument("--test-size", type=float, default=0.25)
    ev.add_argument("--json", action="store_true", help="machine-readable output")
    ev.add_argument(
        "--holdout-origin",
        metavar="ORIGIN",
        help="instead of a random split, test on the rows of this origin (e.g. handwritten) "
        "and train on all the others",
    )
    tr = sub.add_parser("train", help="train on every example and save the model")
    tr.add_argument("data")
    tr.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    examples = load_jsonl(args.data)
    if args.command == "train":
        from intake.triage.suggest.evidence import seed_scorer

        # The seed data's category words as features of the category head, as the product trains.
        train(examples, seed_scorer().category_words).save(args.out)
        print(f"trained on {len(examples)} examples → {args.out}")
        return 0
    if args.holdout_origin:
        train_part = load_jsonl(args.data, exclude_origin=args.holdout_origin)
        test_part = load_jsonl(args.data, origin=args.holdout_origin)
        evaluation = Evaluation(0, 0.0, {h: evaluate_head(train_part, test_part, h) for h in HEADS})
        extra = _rules_accuracy(train_part, test_part)
        args.data += f" (train: origin != {args.holdout_origin}; test: origin = {args.holdout_origin})"
    else:
        evaluation = evaluate(examples, args.test_size, args.seed)
        extra = {}
        for head in HEADS:
            extra[head] = _rules_accuracy(*_split(examples, head, args.test_size, args.seed), heads=(head,))[head]
    if args.json:
        from dataclasses import asdict

        print(json.dumps({"evaluation": asdict(evaluation), "rules": extra}, ensure_ascii=False, indent=1, default=str))
    else:
        _print_evaluation(evaluation, extra, args.data)
    return 0
