"""From a raw evidence score to a probability of being right, fitted on held-out reports.

Platt scaling (or isotonic regression, given enough reports) over the combined score, stored
as points in calibration.json so that applying it is a plain interpolation (no NumPy: the
processes that suggest start without it); fitting imports NumPy and scikit-learn. The same file holds the abstention threshold and, per field, the auto-apply
threshold chosen on the held-out reports for precision ≥ 0.97."""

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SHIPPED = Path(__file__).with_name("calibration.json")
TARGET_PRECISION = 0.97


@dataclass
class Calibration:
    points: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    abstain: float = 0.5  # below this calibrated confidence no unit is suggested
    auto_apply: dict[str, float] = field(default_factory=lambda: {"unit": 1.01, "category": 1.01})
    fitted_on: str = ""

    def apply(self, head: str, raw: float) -> float:
        if head not in self.points:
            return round(float(raw), 3)
        x, y = self.points[head]
        return round(interpolate(raw, x, y), 3)

    @classmethod
    def shipped(cls) -> "Calibration":
        return cls.load(SHIPPED) if SHIPPED.exists() else cls()

    @classmethod
    def load(cls, path: str | Path) -> "Calibration":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        points = {h: (list(p["x"]), list(p["y"])) for h, p in data["points"].items()}
        return cls(points, data["abstain"], data["auto_apply"], data.get("fitted_on", ""))

    def save(self, path: str | Path) -> None:
        data = {
            "fitted_on": self.fitted_on,
            "abstain": self.abstain,
            "auto_apply": self.auto_apply,
            "points": {h: {"x": x, "y": y} for h, (x, y) in self.points.items()},
        }
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def interpolate(value: float, x: list[float], y: list[float]) -> float:
    """Piecewise linear through the points (x increasing), flat beyond the ends: what
    `numpy.interp` gives, for one value, in a fraction of its time."""
    if value <= x[0]:
        return float(y[0])
    if value >= x[-1]:
        return float(y[-1])
    i = bisect.bisect_right(x, value) - 1
    return float(y[i] + (y[i + 1] - y[i]) * (value - x[i]) / (x[i + 1] - x[i]))


def fit_points(raw: list[float], correct: list[bool], method: str = "platt") -> tuple[list[float], list[float]]:
    """The chance of being right as a function of the raw score, as points to interpolate:
    Platt scaling (a logistic curve, two parameters: steady on a few dozen reports) sampled on
    a grid, or isotonic regression's breakpoints (no shape assumed: wants hundreds)."""
    import numpy as np

    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        if len(set(correct)) < 2:
            return [0.0, 1.0], [float(correct[0]) if correct else 0.0] * 2
        fit = LogisticRegression(C=100.0).fit(np.asarray(raw, dtype=float).reshape(-1, 1), np.asarray(correct))
        grid = np.linspace(0.0, 1.0, 41)
        y = fit.predict_proba(grid.reshape(-1, 1))[:, 1]
        return [round(float(v), 4) for v in grid], [round(float(v), 4) for v in y]
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
    iso.fit(np.asarray(raw, dtype=float), np.asarray(correct, dtype=float))
    x = [round(float(v), 4) for v in iso.X_thresholds_]
    y = [round(float(v), 4) for v in iso.y_thresholds_]
    return x, y


def choose_threshold(confidence: list[float], correct: list[bool], target: float = TARGET_PRECISION) -> float:
    """The lowest confidence at which everything at or above it is right at least `target` of
    the time, counting from the top, as if one more of them had been wrong (a few dozen held-out
    reports flatter a threshold otherwise); above 1 (never) when no such point exists."""
    order = sorted(zip(confidence, correct), key=lambda p: -p[0])
    threshold, right = 1.01, 0
    for n, (c, ok) in enumerate(order, start=1):
        right += ok
        if right / (n + 1) >= target and (n == len(order) or order[n][0] < c):
            threshold = c
    return threshold


def reliability(confidence: list[float], correct: list[bool], bins: int = 10) -> list[tuple[str, int, float, float]]:
    """(bin, count, mean confidence, observed accuracy) per bin of predicted confidence."""
    rows = []
    for i in range(bins):
        lo, hi = i / bins, (i + 1) / bins
        inside = [(c, ok) for c, ok in zip(confidence, correct) if lo <= c < hi or (i == bins - 1 and c == 1.0)]
        if inside:
            mean = sum(c for c, _ in inside) / len(inside)
            rows.append(
                (f"{lo:.1f}–{hi:.1f}", len(inside), round(mean, 3), round(sum(ok for _, ok in inside) / len(inside), 3))
            )
    return rows


def fit_set(
    rows: list[dict],
    judge,
    fitted_on: str = "",
    abstain_target: float = 0.3,
    method: str = "platt",
    check_rows: list[dict] = (),
) -> Calibration:
    """Fit on labelled rows: `judge(text)` gives uncalibrated suggestions (raw scores, never
    abstaining). The unit abstains where the calibrated chance of being right is below
    `abstain_target`; auto-apply thresholds keep precision ≥ 0.97 on these rows."""
    found = [(row, judge(row["text"])) for row in rows]
    checked = [(row, judge(row["text"])) for row in check_rows]
    points, confidence, correct = {}, {}, {}
    for head in ("unit", "category"):
        # Only what was suggested: a report with no evidence at all is no suggestion to calibrate.
        pairs = [
            (getattr(f, head).raw, getattr(f, head).key == row.get(head))
            for row, f in found
            if getattr(f, head).key is not None
        ]
        points[head] = fit_points([p[0] for p in pairs], [p[1] for p in pairs], method)
        x, y = points[head]
        # The auto-apply threshold also answers for `check_rows` (more reports, other
        # voices): the curve is fitted on the held-out rows only.
        pairs += [
            (getattr(f, head).raw, getattr(f, head).key == row.get(head))
            for row, f in checked
            if getattr(f, head).key is not None
        ]
        confidence[head] = [round(interpolate(p[0], x, y), 3) for p in pairs]
        correct[head] = [p[1] for p in pairs]
    return Calibration(
        points=points,
        abstain=abstain_target,
        auto_apply={h: choose_threshold(confidence[h], correct[h]) for h in points},
        fitted_on=f"{fitted_on} ({method}, {len(rows)} reports; thresholds also on {len(checked)})",
    )


def refit_heads(fitted: Calibration, previous: Calibration, heads: Sequence[str]) -> Calibration:
    """`fitted` for `heads` only; every other head keeps its points and auto-apply threshold from
    `previous` (a change to how one field is scored need not move the other's thresholds)."""
    kept = [h for h in previous.points if h not in heads]
    if not kept:
        return fitted
    described = {h: fitted.fitted_on for h in heads} | {h: _described(previous.fitted_on, h) for h in kept}
    return Calibration(
        points={**fitted.points, **{h: previous.points[h] for h in kept}},
        abstain=fitted.abstain,
        auto_apply={**fitted.auto_apply, **{h: previous.auto_apply[h] for h in kept if h in previous.auto_apply}},
        fitted_on=" | ".join(f"{h}: {described[h]}" for h in sorted(described)),
    )


def _described(fitted_on: str, head: str) -> str:
    """What one head was fitted on, from a description of all ("category: … | unit: …") or not."""
    for part in fitted_on.split(" | "):
        if part.startswith(f"{head}: "):
            return part[len(head) + 2 :]
    return fitted_on or "shipped"
