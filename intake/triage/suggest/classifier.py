"""The learned model on top of the rules: character n-grams (1–3) TF-IDF and a calibrated
linear SVM per head (unit, category), trained on what staff confirmed or corrected.

No model is downloaded: it learns from the examples given and is saved where the caller says.

    python -m intake.triage.suggest.classifier evaluate tests/data/triage/labelled_reports.jsonl
    python -m intake.triage.suggest.classifier train FILE.jsonl --out model.joblib
"""

import argparse
import json
import sys
import warnings
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

# scikit-learn (and SciPy behind it), NumPy and joblib are imported where a model is trained,
# evaluated, saved or used, never at import time: the web app, the watcher, `poll --once` and a
# worker with no model trained start without them (about 0.1 s of NumPy and joblib alone), and
# a saved model brings them in when joblib loads it.

from intake.triage.suggest.normalize import normalize
from intake.triage.suggest.rules import NOTHING, FieldSuggestion, Suggestions

FORMAT = "intake-triage-classifier/1"
HEADS = ("unit", "category")
# Rules win when they match at least this confidently: a name or a specific alias.
RULES_TRUST = 0.7
TOP_FEATURES = 5


class Example(NamedTuple):
    """One confirmed item: its text (subject and body) and the labels staff settled on."""

    text: str
    unit: Hashable | None
    category: Hashable | None


class HeadPrediction(NamedTuple):
    label: Hashable | None
    confidence: float
    top_features: tuple[str, ...]  # the character n-grams that pushed hardest for `label`


class Prediction(NamedTuple):
    unit: HeadPrediction
    category: HeadPrediction


_NO_PREDICTION = HeadPrediction(None, 0.0, ())


def _vectorizer() -> "TfidfVectorizer":
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Characters, not words: no segmenter to ship, and typos, dialect and both scripts
    # (after normalization) still share most of their n-grams.
    return TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), preprocessor=normalize, sublinear_tf=True, min_df=1, dtype=np.float32
    )


class _Head:
    """One label set: a linear SVM with calibrated probabilities, or a constant when only one
    label was seen."""

    def __init__(self, labels: Sequence[Hashable], features):
        self.classes = sorted(set(labels), key=str)
        self.estimator = None  # gives the probabilities
        self.linear = None  # gives the weights behind them (for the top features)
        if len(self.classes) < 2:
            return
        # Balanced weights: the two supervised units dominate the data, the other 26 must
        # still be found; macro-F1 is what we report. LinearSVC beat logistic regression on
        # the rare units by 0.1–0.2 macro-F1 on the labelled set.
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        svm = LinearSVC(C=1.0, class_weight="balanced")
        fewest = min(Counter(labels).values())
        if fewest >= 2:
            # Platt scaling on cross-validated scores; ensemble=False keeps one SVM fitted on
            # everything, so the weights we show are the ones that decided.
            self.estimator = CalibratedClassifierCV(svm, method="sigmoid", cv=min(3, fewest), ensemble=False)
            self.estimator.fit(features, list(labels))
            self.linear = self.estimator.calibrated_classifiers_[0].estimator
        else:
            # A label seen once cannot be cross-validated: raw margins through a softmax.
            self.estimator = self.linear = svm.fit(features, list(labels))
        self.classes = [c.item() if hasattr(c, "item") else c for c in self.estimator.classes_]

    def _proba(self, rows) -> "np.ndarray":
        import numpy as np

        if hasattr(self.estimator, "predict_proba"):
            return self.estimator.predict_proba(rows)
        scores = self.estimator.decision_function(rows)
        if scores.ndim == 1:
            scores = np.column_stack([-scores, scores])
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def predict_many(self, rows) -> list[Hashable]:
        if self.estimator is None:
            return [self.classes[0] if self.classes else None] * rows.shape[0]
        return [self.classes[i] for i in self._proba(rows).argmax(axis=1)]

    def predict(self, row, feature_names: "np.ndarray", top: int) -> HeadPrediction:
        import numpy as np

        if not self.classes:
            return _NO_PREDICTION
        if self.estimator is None:
            return HeadPrediction(self.classes[0], 1.0, ())
        proba = self._proba(row)[0]
        best = int(np.argmax(proba))
        # Contribution of each n-gram in this text to the winning class's score.
        if len(self.classes) == 2:
            coef = self.linear.coef_[0] * (1 if best == 1 else -1)
        else:
            coef = self.linear.coef_[best]
        indices = row.indices
        contributions = row.data * coef[indices]
        chosen: list[str] = []
        for i in np.argsort(-contributions):
            if contributions[i] <= 0 or len(chosen) == top:
                break
            feature = str(feature_names[indices[i]]).strip()
            # Show words, not their pieces: 态 adds nothing once 态度 is there.
            if feature and not any(feature in c or c in feature for c in chosen):
                chosen.append(feature)
        return HeadPrediction(self.classes[best], round(float(proba[best]), 3), tuple(chosen))


class Model:
    """Both heads over one vectorizer. Build with `train`, keep with `save` / `load`."""

    def __init__(self, vectorizer: "TfidfVectorizer", heads: dict[str, _Head], trained_on: int):
        self.vectorizer = vectorizer
        self.heads = heads
        self.trained_on = trained_on
        self._feature_names = vectorizer.get_feature_names_out()

    def predict(self, text: str, top: int = TOP_FEATURES) -> Prediction:
        row = self.vectorizer.transform([text or ""])
        if row.nnz == 0:
            return Prediction(_NO_PREDICTION, _NO_PREDICTION)
        return Prediction(*(self.heads[h].predict(row, self._feature_names, top) for h in HEADS))

    def probabilities(self, text: str) -> dict[str, dict[Hashable, float]]:
        """Every label's probability per head: evidence for `evidence.Scorer`, never a verdict."""
        row = self.vectorizer.transform([text or ""])
        out: dict[str, dict[Hashable, float]] = {}
        for name in HEADS:
            head = self.heads[name]
            if row.nnz == 0 or not head.classes:
                out[name] = {}
            elif head.estimator is None:
                out[name] = {head.classes[0]: 1.0}
            else:
                out[name] = {c: float(p) for c, p in zip(head.classes, head._proba(row)[0])}
        return out

    def predict_labels(self, texts: Sequence[str], head: str) -> list[Hashable]:
        """Labels only, for many texts at once (evaluation)."""
        return self.heads[head].predict_many(self.vectorizer.transform(list(texts)))

    def labels(self, head: str) -> list[Hashable]:
        return list(self.heads[head].classes)

    def save(self, path: str | Path) -> None:
        """Write the model to `path` (joblib). Load only files this code wrote: unpickling
        runs code."""
        import joblib
        import sklearn

        joblib.dump({"format": FORMAT, "sklearn": sklearn.__version__, "model": self}, path)

    @classmethod
    def load(cls, path: str | Path) -> "Model":
        import joblib
        import sklearn

        payload = joblib.load(path)
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise ValueError(f"{path} is not a triage classifier file")
        if payload["sklearn"] != sklearn.__version__:
            warnings.warn(
                f"model trained with scikit-learn {payload['sklearn']}, "
                f"running {sklearn.__version__}: retrain to be safe",
                stacklevel=2,
            )
        return payload["model"]


def _as_examples(examples: Iterable) -> list[Example]:
    return [e if isinstance(e, Example) else Example(*e) for e in examples]


def train(examples: Iterable[tuple[str, Hashable | None, Hashable | None]]) -> Model:
    """Train both heads on (text, unit, category); a None label leaves the example out of
    that head only (staff may confirm a category before they know the unit)."""
    examples = _as_examples(examples)
    if not examples:
        raise ValueError("no examples to train on")
    vectorizer = _vectorizer()
    features = vectorizer.fit_transform([e.text for e in examples])
    heads = {}
    for head in HEADS:
        rows = [i for i, e in enumerate(examples) if getattr(e, head) is not None]
        heads[head] = _Head([getattr(examples[i], head) for i in rows], features[rows])
    return Model(vectorizer, heads, len(examples))


# --- evaluation -----------------------------------------------------------------------------


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


# --- rules and model together ---------------------------------------------------------------


def _merge(rule: FieldSuggestion, model: HeadPrediction, rules_trust: float) -> FieldSuggestion:
    model_field = (
        FieldSuggestion(model.label, model.confidence, model.top_features, "model")
        if model.label is not None
        else NOTHING
    )
    if not rule.found:
        return model_field
    if not model_field.found:
        return rule
    if rule.key == model_field.key:
        # Two independent signals agree: noisy-OR of their confidences.
        confidence = 1 - (1 - rule.confidence) * (1 - model_field.confidence)
        evidence = rule.evidence + tuple(f for f in model_field.evidence if f not in rule.evidence)
        return FieldSuggestion(rule.key, round(confidence, 3), evidence, "rules+model")
    if rule.confidence >= rules_trust or rule.confidence >= model_field.confidence:
        return rule
    return model_field


def combine(rules: Suggestions, model: Prediction, rules_trust: float = RULES_TRUST) -> Suggestions:
    """Merge the rule suggestion and the model's prediction per field. Rules win when they
    match with at least `rules_trust`; otherwise the more confident of the two, and when both
    agree the confidence rises. Rules and model must use the same keys (e.g. unit codes)."""
    unit = _merge(rules.unit, model.unit, rules_trust)
    others = tuple(o for o in rules.other_units if o.key != unit.key)
    if rules.unit.found and rules.unit.key != unit.key:
        others = (rules.unit,) + others
    return Suggestions(unit=unit, category=_merge(rules.category, model.category, rules_trust), other_units=others)


# --- command line ---------------------------------------------------------------------------


def load_jsonl(path: str | Path, origin: str | None = None, exclude_origin: str | None = None) -> list[Example]:
    """Examples from a JSON-lines file with fields text, unit, category (and optionally
    origin, to keep or leave out one kind of row)."""
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if origin is not None:
        rows = [r for r in rows if r.get("origin") == origin]
    if exclude_origin is not None:
        rows = [r for r in rows if r.get("origin") != exclude_origin]
    return [Example(r["text"], r.get("unit"), r.get("category")) for r in rows]


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
        train(examples).save(args.out)
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


if __name__ == "__main__":
    sys.exit(main())
