"""Rule-based suggestions: unit names and aliases, category keywords (editable by admins).

Rows come in as plain tuples so the caller decides where they live (database, seed data);
the keys it passes (ids or codes) are the keys it gets back. Matching runs on normalized text,
so Traditional and Simplified, full-width and half-width, match alike."""

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from intake.triage.suggest.normalize import normalize

# A term's weight grows with how specific it is: the full name says more than a two-character
# alias like 大厅, which is also any hall in town.
NAME_WEIGHT = 1.0
SHORT_NAME_WEIGHT = 0.9
# Words in the subject are the reporter's own summary: they count more than the body.
SUBJECT_FACTOR = 1.5
# Confidence saturates with the score: one full-name match ≈ 0.86, one 大厅 ≈ 0.45.
SATURATION = 2.0


def term_weight(term: str) -> float:
    """The weight of an alias or keyword by its length (a proxy for specificity)."""
    n = len(term)
    if n >= 4:
        return 0.8
    if n == 3:
        return 0.7
    if n == 2:
        return 0.45
    return 0.25


@dataclass(frozen=True)
class FieldSuggestion:
    """A suggested value for one field (unit or category) and why.

    `key` is what the caller passed in (an id or a code), None when nothing matched.
    `evidence` are the words that led to it: matched terms for rules, character n-grams for
    the model. `source` is "rules", "model", "rules+model" or "none"."""

    key: Hashable | None
    confidence: float = 0.0
    evidence: tuple[str, ...] = ()
    source: str = "none"
    # The next best candidate, why nothing was suggested ("no-evidence", "undecided"), and the
    # confidence before calibration: set by `evidence.Scorer`, empty for rules alone.
    runner_up: "FieldSuggestion | None" = None
    reason: str = ""
    raw: float = 0.0

    @property
    def found(self) -> bool:
        return self.key is not None


NOTHING = FieldSuggestion(None)


@dataclass(frozen=True)
class Suggestions:
    """What to suggest for an item: one unit, one category, and the other units mentioned."""

    unit: FieldSuggestion = NOTHING
    category: FieldSuggestion = NOTHING
    other_units: tuple[FieldSuggestion, ...] = ()


@dataclass
class _Term:
    text: str  # normalized
    weight: float
    keys: list[Hashable] = field(default_factory=list)  # shared aliases point at several


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    term: _Term
    in_subject: bool


def _find_hits(text: str, terms: dict[str, _Term], in_subject: bool) -> list[_Hit]:
    """Leftmost-longest, non-overlapping occurrences: 政务服务大厅 hides the 大厅 inside it."""
    found = []
    for term in terms.values():
        start = text.find(term.text)
        while start != -1:
            found.append(_Hit(start, start + len(term.text), term, in_subject))
            start = text.find(term.text, start + 1)
    found.sort(key=lambda h: (-(h.end - h.start), h.start))
    taken: list[_Hit] = []
    for hit in found:
        if all(hit.end <= t.start or hit.start >= t.end for t in taken):
            taken.append(hit)
    return sorted(taken, key=lambda h: h.start)


def _score(hits: Iterable[_Hit]) -> tuple[dict[Hashable, float], dict[Hashable, list[str]]]:
    scores: dict[Hashable, float] = defaultdict(float)
    evidence: dict[Hashable, list[str]] = defaultdict(list)
    for hit in hits:
        weight = hit.term.weight * (SUBJECT_FACTOR if hit.in_subject else 1.0) / len(hit.term.keys)
        for key in hit.term.keys:
            scores[key] += weight
            if hit.term.text not in evidence[key]:
                evidence[key].append(hit.term.text)
    return scores, evidence


def _confidence(score: float, total: float) -> float:
    """Strength of the evidence times the share it has against the other candidates."""
    strength = 1.0 - math.exp(-SATURATION * score)
    return round(strength * (score / total), 3) if total else 0.0


def _ranked(scores, evidence) -> list[FieldSuggestion]:
    total = sum(scores.values())
    ranked = sorted(scores, key=lambda k: (-scores[k], -len("".join(evidence[k]))))
    return [FieldSuggestion(k, _confidence(scores[k], total), tuple(evidence[k]), "rules") for k in ranked]


class RuleSet:
    """Unit and category terms compiled for matching; build once, suggest many times."""

    def __init__(
        self,
        unit_terms: dict[str, _Term],
        category_terms: dict[str, _Term],
        category_parent: dict[Hashable, Hashable | None],
    ):
        self._unit_terms = unit_terms
        self._category_terms = category_terms
        self._category_parent = category_parent

    @classmethod
    def from_rows(
        cls,
        units: Iterable[tuple[Hashable, str, str | None, Sequence[str]]],
        categories: Iterable[tuple[Hashable, Hashable | None, str, Sequence[str]]],
    ) -> "RuleSet":
        """units: (unit_id, name, short_name, aliases); categories: (category_id, parent_id,
        name, keywords). Names and terms may be in either script."""
        unit_terms: dict[str, _Term] = {}

        def add(terms: dict[str, _Term], raw: str | None, weight: float, key: Hashable) -> None:
            text = normalize(raw)
            if not text:
                return
            term = terms.setdefault(text, _Term(text, weight))
            term.weight = max(term.weight, weight)
            if key not in term.keys:
                term.keys.append(key)

        for unit_id, name, short_name, aliases in units:
            add(unit_terms, name, NAME_WEIGHT, unit_id)
            # "县政务服务管理局" is often written without the county prefix.
            if name and normalize(name).startswith("县") and len(name) > 3:
                add(unit_terms, name[1:], NAME_WEIGHT, unit_id)
            add(unit_terms, short_name, SHORT_NAME_WEIGHT, unit_id)
            for alias in aliases or ():
                add(unit_terms, alias, term_weight(normalize(alias)), unit_id)

        category_terms: dict[str, _Term] = {}
        category_parent: dict[Hashable, Hashable | None] = {}
        for category_id, parent_id, name, keywords in categories:
            category_parent[category_id] = parent_id
            # The parts of a leaf's own name are keywords too (办事效率/等候时间, 吃拿卡要);
            # short parts like 其他 or 审批 are too common to count unless listed as keywords.
            for part in (name or "").split("/"):
                if len(normalize(part)) >= 3:
                    add(category_terms, part, term_weight(normalize(part)), category_id)
            for keyword in keywords or ():
                add(category_terms, keyword, term_weight(normalize(keyword)), category_id)
        return cls(unit_terms, category_terms, category_parent)

    def suggest(self, subject: str | None, body: str | None) -> Suggestions:
        """Suggest a unit and a category for a report; the strongest unit wins, the others
        mentioned are listed after it."""
        subject_n, body_n = normalize(subject), normalize(body)

        unit_hits = _find_hits(subject_n, self._unit_terms, True) + _find_hits(body_n, self._unit_terms, False)
        units = _ranked(*_score(unit_hits))

        category_hits = _find_hits(subject_n, self._category_terms, True) + _find_hits(
            body_n, self._category_terms, False
        )
        categories = _ranked(*_score(category_hits))

        return Suggestions(
            unit=units[0] if units else NOTHING,
            category=categories[0] if categories else NOTHING,
            other_units=tuple(units[1:]),
        )

    def parent_of(self, category_id: Hashable) -> Hashable | None:
        return self._category_parent.get(category_id)


def seed_rule_set(key: str = "code") -> RuleSet:
    """The rules from the seed data, keyed by code: for the CLI, the tests and a new install."""
    from intake.reference.seed_data import CATEGORIES, UNITS

    categories = []
    for top in CATEGORIES:
        categories.append((top[key], None, top["name"], top.get("keywords", [])))
        for child in top.get("children", []):
            categories.append((child[key], top[key], child["name"], child.get("keywords", [])))
    units = [(u[key], u["name"], u.get("short_name"), u.get("aliases", [])) for u in UNITS]
    return RuleSet.from_rows(units=units, categories=categories)
