"""The learned model on top of the rules: character n-grams (1–3) TF-IDF and a calibrated
linear SVM per head (unit, category), trained on what staff confirmed or corrected. The
category head also sees the category words' scores (`evidence.CategoryWords`), so that how much
each kind of word weighs is learned from reports rather than set by hand.

No model is downloaded: it learns from the examples given and is saved where the caller says.

    python -m intake.triage.suggest.classifier evaluate tests/data/triage/labelled_reports.jsonl
    python -m intake.triage.suggest.classifier train FILE.jsonl --out model.joblib
"""

import json
import sys
import warnings
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

# scikit-learn (and SciPy behind it), NumPy and joblib are imported where a model is trained,
# evaluated, saved or used, never at import time: the web app, the watcher and `poll --once`
# start without them (about 0.1 s of NumPy and joblib alone), and a saved model brings them in
# when joblib loads it (an `intake worker` does that before its first job: workers/worker.py).

from intake.triage.suggest.normalize import normalize
from intake.triage.suggest.rules import NOTHING, FieldSuggestion, Suggestions

FORMAT = "intake-triage-classifier/1"
HEADS = ("unit", "category")
# Rules win when they match at least this confidently: a name or a specific alias.
RULES_TRUST = 0.7
TOP_FEATURES = 5
# The category words' score per category enters the category head as sqrt(score) times this
# (a few TF-IDF n-grams' worth; diminishing returns for a pile of words). Chosen by
# leave-one-writer-out validation (crossval.py) on the writers given the category definitions:
# 0–0.05 do alike (macro-F1 0.909–0.911), 0.07 0.907, 0.1 0.897, 0.2 0.869; more weight helped
# only the project's own sets, labelled by the hand that wrote the words. Saved with the model
# (a model saved before kept 0.1).
EVIDENCE_SCALE = 0.05
_EARLIER_SCALE = 0.1


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


def _with_words(features, texts: Sequence[str], category_words, scale: float = EVIDENCE_SCALE):
    """The n-gram features with the category words' scores appended (one column per category)."""
    if category_words is None:
        return features
    import numpy as np
    from scipy.sparse import csr_matrix, hstack

    keys = category_words.keys
    scores = np.zeros((len(texts), len(keys)), dtype=np.float32)
    for i, text in enumerate(texts):
        for key, score in category_words.scores(text or "").items():
            scores[i, keys.index(key)] = scale * score**0.5
    return hstack([features, csr_matrix(scores)], format="csr")


class Model:
    """Both heads over one vectorizer (the category head with the category words it was trained
    with). Build with `train`, keep with `save` / `load`."""

    def __init__(self, vectorizer: "TfidfVectorizer", heads: dict[str, _Head], trained_on: int, category_words=None):
        import numpy as np

        self.vectorizer = vectorizer
        self.heads = heads
        self.trained_on = trained_on
        self.category_words = category_words
        self.evidence_scale = EVIDENCE_SCALE
        names = vectorizer.get_feature_names_out()
        self._feature_names = {"unit": names, "category": names}
        if category_words is not None:
            self._feature_names["category"] = np.concatenate([names, [f"[{k}]" for k in category_words.keys]])

    def _rows(self, texts: Sequence[str]) -> dict:
        rows = self.vectorizer.transform(list(texts))
        # Models saved before the category words were features have no such attribute.
        words, scale = getattr(self, "category_words", None), getattr(self, "evidence_scale", _EARLIER_SCALE)
        return {"unit": rows, "category": _with_words(rows, texts, words, scale)}

    def predict(self, text: str, top: int = TOP_FEATURES) -> Prediction:
        rows = self._rows([text or ""])
        if rows["unit"].nnz == 0:
            return Prediction(_NO_PREDICTION, _NO_PREDICTION)
        names = self._feature_names
        if not isinstance(names, dict):  # a model saved before the category words were features
            names = {h: names for h in HEADS}
        return Prediction(*(self.heads[h].predict(rows[h], names[h], top) for h in HEADS))

    def probabilities(self, text: str) -> dict[str, dict[Hashable, float]]:
        """Every label's probability per head: evidence for `evidence.Scorer`, never a verdict."""
        rows = self._rows([text or ""])
        out: dict[str, dict[Hashable, float]] = {}
        for name in HEADS:
            head = self.heads[name]
            if rows["unit"].nnz == 0 or not head.classes:
                out[name] = {}
            elif head.estimator is None:
                out[name] = {head.classes[0]: 1.0}
            else:
                out[name] = {c: float(p) for c, p in zip(head.classes, head._proba(rows[name])[0])}
        return out

    def predict_labels(self, texts: Sequence[str], head: str) -> list[Hashable]:
        """Labels only, for many texts at once (evaluation)."""
        return self.heads[head].predict_many(self._rows(texts)[head])

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


def train(examples: Iterable[tuple[str, Hashable | None, Hashable | None]], category_words=None) -> Model:
    """Train both heads on (text, unit, category); a None label leaves the example out of
    that head only (staff may confirm a category before they know the unit). With
    `category_words` (`evidence.Scorer.category_words`), their scores are features of the
    category head."""
    examples = _as_examples(examples)
    if not examples:
        raise ValueError("no examples to train on")
    vectorizer = _vectorizer()
    texts = [e.text for e in examples]
    ngrams = vectorizer.fit_transform(texts)
    features = {"unit": ngrams, "category": _with_words(ngrams, texts, category_words)}
    heads = {}
    for head in HEADS:
        rows = [i for i, e in enumerate(examples) if getattr(e, head) is not None]
        heads[head] = _Head([getattr(examples[i], head) for i in rows], features[head][rows])
    return Model(vectorizer, heads, len(examples), category_words)


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


# --- evaluation and command line (split_evaluation.py) ---------------------------------------


def evaluate(examples: Iterable, test_size: float = 0.25, seed: int = 4):
    """Accuracy and macro-F1 per head on a held-out stratified split (`split_evaluation`)."""
    from intake.triage.suggest.split_evaluation import evaluate as evaluate_split

    return evaluate_split(examples, test_size, seed)


def main(argv: Sequence[str] | None = None) -> int:
    from intake.triage.suggest.split_evaluation import main as split_main

    return split_main(argv)


if __name__ == "__main__":
    sys.exit(main())
