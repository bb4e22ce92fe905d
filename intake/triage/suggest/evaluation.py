"""How the suggestions do on a labelled set of reports they have never seen (issue 17).

Unit accuracy counts an abstention as right only where the truth is "no unit can be told"
(unit null); auto-apply precision and coverage use the calibrated thresholds; everything is
also broken down per script (hans/hant) and per difficulty, with the top confusion pairs and a
calibration table. Pure: rows in, numbers out."""

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from intake.triage.suggest.calibration import reliability
from intake.triage.suggest.rules import Suggestions

NONE = "(none)"


@dataclass
class Outcome:
    """One report: the truth and what was suggested."""

    row: dict
    unit: Hashable | None
    unit_confidence: float
    unit_raw: float
    category: Hashable | None
    category_confidence: float
    category_raw: float
    unit_applied: bool
    category_applied: bool

    @property
    def unit_right(self) -> bool:
        return self.unit == self.row.get("unit")

    @property
    def category_right(self) -> bool:
        return self.category == self.row.get("category")


@dataclass
class Figures:
    n: int
    unit_accuracy: float
    unit_macro_f1: float
    category_accuracy: float
    category_macro_f1: float
    abstentions: int
    abstentions_right: int
    applied: int  # fields applied automatically (unit and category counted apart)
    applied_right: int
    fields: int

    @property
    def applied_precision(self) -> float:
        return self.applied_right / self.applied if self.applied else 1.0

    @property
    def coverage(self) -> float:
        return self.applied / self.fields if self.fields else 0.0


@dataclass
class SetEvaluation:
    overall: Figures
    by_script: dict[str, Figures] = field(default_factory=dict)
    by_difficulty: dict[str, Figures] = field(default_factory=dict)
    unit_confusions: list[tuple[str, str, int]] = field(default_factory=list)
    category_confusions: list[tuple[str, str, int]] = field(default_factory=list)
    unit_calibration: list = field(default_factory=list)
    category_calibration: list = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


def load_set(path: str | Path) -> list[dict]:
    """Rows with at least text, unit (may be null) and category."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if line.strip():
                row = json.loads(line)
                if "text" not in row or "category" not in row:
                    raise ValueError(f"{path}:{n}: a row needs text, unit and category")
                rows.append(row)
    return rows


def macro_f1(truth: list, predicted: list) -> float:
    """Mean F1 over the classes in the truth (an abstention is its own class, NONE)."""
    labels = set(truth)
    scores = []
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(truth, predicted))
        fp = sum(t != label and p == label for t, p in zip(truth, predicted))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return round(sum(scores) / len(scores), 4) if scores else 0.0


def figures(outcomes: list[Outcome]) -> Figures:
    n = len(outcomes)
    unit_truth = [o.row.get("unit") or NONE for o in outcomes]
    unit_pred = [o.unit or NONE for o in outcomes]
    cat_truth = [o.row["category"] for o in outcomes]
    cat_pred = [o.category or NONE for o in outcomes]
    applied = [(o.unit_right) for o in outcomes if o.unit_applied] + [
        o.category_right for o in outcomes if o.category_applied
    ]
    return Figures(
        n=n,
        unit_accuracy=round(sum(o.unit_right for o in outcomes) / n, 4) if n else 0.0,
        unit_macro_f1=macro_f1(unit_truth, unit_pred),
        category_accuracy=round(sum(o.category_right for o in outcomes) / n, 4) if n else 0.0,
        category_macro_f1=macro_f1(cat_truth, cat_pred),
        abstentions=sum(o.unit is None for o in outcomes),
        abstentions_right=sum(o.unit is None and o.row.get("unit") is None for o in outcomes),
        applied=len(applied),
        applied_right=sum(applied),
        fields=2 * n,
    )


def per_class(outcomes: list[Outcome], head: str) -> list[tuple[str, int, float, float, float]]:
    """(class, support, precision, recall, F1) per class of the truth, NONE for "no unit"."""
    truth = [str(o.row.get(head) or NONE) for o in outcomes]
    predicted = [str(getattr(o, head) or NONE) for o in outcomes]
    rows = []
    for label in sorted(set(truth)):
        tp = sum(t == p == label for t, p in zip(truth, predicted))
        n_pred, n_true = predicted.count(label), truth.count(label)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        rows.append((label, n_true, round(precision, 3), round(recall, 3), round(f1, 3)))
    return rows


def _confusions(outcomes: list[Outcome], head: str, top: int) -> list[tuple[str, str, int]]:
    pairs = Counter(
        (str(o.row.get(head) or NONE), str(getattr(o, head) or NONE))
        for o in outcomes
        if not getattr(o, f"{head}_right")
    )
    return [(t, p, n) for (t, p), n in pairs.most_common(top)]


def evaluate_set(
    rows: Iterable[dict],
    judge: Callable[[str], Suggestions],
    auto_apply: dict[str, float],
    top: int = 10,
) -> SetEvaluation:
    """`judge(text)` gives the suggestions for one report; `auto_apply` the threshold per field."""
    outcomes = []
    for row in rows:
        found = judge(row["text"])
        outcomes.append(
            Outcome(
                row=row,
                unit=found.unit.key,
                unit_confidence=found.unit.confidence,
                unit_raw=found.unit.raw,
                category=found.category.key,
                category_confidence=found.category.confidence,
                category_raw=found.category.raw,
                unit_applied=found.unit.key is not None and found.unit.confidence >= auto_apply["unit"],
                category_applied=found.category.key is not None and found.category.confidence >= auto_apply["category"],
            )
        )
    groups: dict[str, dict[str, list[Outcome]]] = {"script": defaultdict(list), "difficulty": defaultdict(list)}
    for o in outcomes:
        for key, group in groups.items():
            if o.row.get(key):
                group[o.row[key]].append(o)
    suggested = [o for o in outcomes if o.unit is not None]
    return SetEvaluation(
        overall=figures(outcomes),
        by_script={k: figures(v) for k, v in sorted(groups["script"].items())},
        by_difficulty={k: figures(v) for k, v in sorted(groups["difficulty"].items())},
        unit_confusions=_confusions(outcomes, "unit", top),
        category_confusions=_confusions(outcomes, "category", top),
        unit_calibration=reliability([o.unit_confidence for o in suggested], [o.unit_right for o in suggested]),
        category_calibration=reliability(
            [o.category_confidence for o in outcomes], [o.category_right for o in outcomes]
        ),
        outcomes=outcomes,
    )


def report_lines(result: SetEvaluation) -> list[str]:
    """The evaluation as Markdown-ish lines for a terminal or bench/README.md."""
    lines = [
        "| part | n | unit acc | unit macro-F1 | category acc | category macro-F1 | abstained (right) "
        "| auto-applied | auto precision | coverage |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    parts = [("all", result.overall)]
    parts += [(f"script {k}", v) for k, v in result.by_script.items()]
    parts += [(f"difficulty {k}", v) for k, v in result.by_difficulty.items()]
    for name, f in parts:
        lines.append(
            f"| {name} | {f.n} | {f.unit_accuracy:.3f} | {f.unit_macro_f1:.3f} | {f.category_accuracy:.3f} "
            f"| {f.category_macro_f1:.3f} | {f.abstentions} ({f.abstentions_right}) | {f.applied}/{f.fields} "
            f"| {f.applied_precision:.3f} | {f.coverage:.3f} |"
        )
    for head, pairs in (("unit", result.unit_confusions), ("category", result.category_confusions)):
        lines.append("")
        lines.append(
            f"top {head} confusions (truth → suggested: count): "
            + ("; ".join(f"{t} → {p}: {n}" for t, p, n in pairs) or "none")
        )
    for head in ("unit", "category"):
        lines += [
            "",
            f"per class, {head}:",
            "| class | n | precision | recall | F1 |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [f"| {c} | {n} | {p:.3f} | {r:.3f} | {f:.3f} |" for c, n, p, r, f in per_class(result.outcomes, head)]
    for head, table in (("unit", result.unit_calibration), ("category", result.category_calibration)):
        lines += [
            "",
            f"calibration, {head} (suggested only):",
            "| confidence | n | mean confidence | accuracy |",
            "| --- | --- | --- | --- |",
        ]
        lines += [f"| {b} | {n} | {m:.3f} | {a:.3f} |" for b, n, m, a in table]
    return lines


# The other script of a report: what the same words would have looked like written in it.
OTHER_SCRIPT = {"hans": ("hant", "zh-hant"), "hant": ("hans", "zh-hans")}


def in_other_script(rows: Iterable[dict]) -> list[dict]:
    """Each report converted to the other Chinese script (zhconv), labelled with that script: the
    same texts judged again tell a difference of script from a difference of what was written."""
    from zhconv import convert

    converted = []
    for row in rows:
        other = OTHER_SCRIPT.get(row.get("script", ""))
        if other:
            text = convert(row["text"], other[1])
            converted.append(
                {**row, "text": text, "script": other[0], "written_in": row["script"], "written": row["text"]}
            )
    return converted


def script_swap_lines(written: SetEvaluation, swapped: SetEvaluation) -> list[str]:
    """Per script as written: accuracy as written and of the same texts in the other script, and
    how often both give the same unit and category."""
    same, total = Counter(), Counter()
    as_written = {o.row["text"]: o for o in written.outcomes}
    for o in swapped.outcomes:
        first = as_written[o.row["written"]]
        total[o.row["written_in"]] += 1
        same[o.row["written_in"]] += first.unit == o.unit and first.category == o.category
    lines = [
        "",
        "the same texts in the other script (zhconv):",
        "| written in | n | unit acc as written / other script | category acc as written / other script | same unit and category |",
        "| --- | --- | --- | --- | --- |",
    ]
    for script, f in written.by_script.items():
        other = swapped.by_script.get(OTHER_SCRIPT[script][0]) if script in OTHER_SCRIPT else None
        if other is None or not total[script]:
            continue
        lines.append(
            f"| {script} | {f.n} | {f.unit_accuracy:.3f} / {other.unit_accuracy:.3f} "
            f"| {f.category_accuracy:.3f} / {other.category_accuracy:.3f} | {same[script] / total[script]:.3f} |"
        )
    return lines
