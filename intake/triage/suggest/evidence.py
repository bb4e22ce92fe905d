"""Evidence for a unit and a category, combined into one calibrated confidence (issue 17).

Names and aliases of units, the businesses people name (社保 → 人社局) and each unit's
responsibilities (职能), the hall's own business and the learned model's probabilities add to a
unit's score; integrity wording and category words to a category's, or with the model only as
its features. The score is turned into a probability by a calibration fitted on held-out reports
(calibration.py); below the abstention threshold no unit is suggested and the reason is said.

    Scorer.from_rows(units=..., categories=..., duties=...).judge(subject, body, model) -> Suggestions
"""

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from intake.triage.suggest import lexicon, unit_context
from intake.triage.suggest.calibration import Calibration
from intake.triage.suggest.normalize import is_negated, normalize
from intake.triage.suggest.rules import NAME_WEIGHT, SHORT_NAME_WEIGHT, SUBJECT_FACTOR, FieldSuggestion, Suggestions

HALL = "zwfw"  # the county service hall's operator (县政务服务管理局)
INTEGRITY = "lianjie"
OTHER = "qita"
# Weight of each kind of evidence, before the subject factor and the term's own specificity.
KIND_WEIGHT = {
    "name": 1.0,
    "business": 1.0,
    "duty": 0.6,
    "institution": 1.0,  # already weighed down by INSTITUTION_WEIGHT
    "hall": 0.7,
    "place": 0.15,
    "word": 1.0,
}
# The learned model adds at most this much to a candidate's score (its probability times it):
# for the unit it learned the same alias words as the rules, so it must not count as a second
# witness.
MODEL_WEIGHT = {"unit": 0.3, "category": 1.2}
# A unit the model names with at least this probability is a candidate of its own even without
# words: when the words point elsewhere, the runner-up that keeps the leader from looking sure (it
# is never suggested on the model's word alone).
MODEL_CANDIDATE = 0.3
# The candidate meaning "no single department" (各部门, 所有窗口): it lowers the lead of any one
# unit, and when it leads nothing is suggested.
NOBODY = ""
# Below this, a department's evidence is too weak to take the place away from the hall's operator
# (one part of a duty phrase, 残疾人 in 大厅门口的残疾人坡道).
WEAK_UNIT = 0.4
# With the model, the category words count only as its features (`CategoryWords.scores`) and as
# the evidence shown: on top of it (0.24 before) and with the two rules below they cost the
# writers given the definitions 0.035 of macro-F1 across writers (crossval.py; 0.02–0.1 no better).
WORDS_WITH_MODEL = 0.0
# Without the model, integrity words this strong decide the category whatever the topic.
INTEGRITY_WINS = 0.6
DEFLECTION = 1.5
TOPIC_AGAINST_INTEGRITY = 0.5
# Without the model, below this the strongest category's evidence is too weak to beat 其他
# (development sets: 0.55–0.7 do alike); the model has learned 其他 (a floor of 0.3–0.6 no better).
WEAK_CATEGORY = 0.6


@dataclass(frozen=True)
class _Term:
    text: str
    kind: str
    weight: float
    keys: tuple[Hashable, ...]


def _length_weight(term: str) -> float:
    return {1: 0.35, 2: 0.75, 3: 0.85}.get(len(term), 0.95)


duty_terms = unit_context.duty_terms


class _Lexicon:
    """Terms of every kind in one table, matched leftmost-longest: 医保窗口 (an alias of the
    医保局) hides the 窗口 inside it, 政务服务大厅 the 大厅."""

    def __init__(self):
        self.terms: dict[str, _Term] = {}

    def add(self, raw: str | None, kind: str, weight: float, key: Hashable) -> None:
        text = normalize(raw)
        if not text:
            return
        if kind in ("business", "duty") and text.endswith(lexicon.INSTITUTION_ENDINGS):
            # 乡镇卫生院 in the health bureau's duties is still the place, not the business.
            weight = min(weight * KIND_WEIGHT[kind], _length_weight(text) * lexicon.INSTITUTION_WEIGHT)
            kind = "institution"
        if text in lexicon.PLACES:
            kind, weight = "place", 1.0
        old = self.terms.get(text)
        if old is None:
            self.terms[text] = _Term(text, kind, weight * KIND_WEIGHT[kind], (key,))
        elif key not in old.keys:
            # A shared word (工会 in two names) is split between the units that use it.
            self.terms[text] = _Term(text, old.kind, old.weight, old.keys + (key,))
        elif weight * KIND_WEIGHT[kind] > old.weight:
            self.terms[text] = _Term(text, kind, weight * KIND_WEIGHT[kind], old.keys)

    def keep_inner_weight(self) -> None:
        """A duty phrase matched whole (驻村工作队) weighs at least what a stronger word of the same
        unit inside it (驻村) would have: the longest match must not lose evidence."""
        for text, term in list(self.terms.items()):
            if term.kind != "duty":
                continue
            inner = [t.weight for w, t in self.terms.items() if w != text and w in text and t.keys == term.keys]
            if inner and max(inner) > term.weight:
                self.terms[text] = _Term(text, term.kind, max(inner), term.keys)

    def hits(self, text: str) -> list[tuple[int, _Term]]:
        found = []
        for term in self.terms.values():
            start = text.find(term.text)
            while start != -1:
                found.append((start, term))
                start = text.find(term.text, start + 1)
        found.sort(key=lambda h: (-len(h[1].text), h[0]))
        taken: list[tuple[int, int, _Term]] = []
        for start, term in found:
            end = start + len(term.text)
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, term))
        return [(s, t) for s, _, t in sorted(taken, key=lambda h: h[0])]


@dataclass
class _Tally:
    scores: dict
    evidence: dict
    integrity_words: float = 0.0  # the integrity words' own score (the evidence alone)
    weak: float = 0.0  # the strongest category's score below which 其他 wins (the evidence alone)

    @classmethod
    def empty(cls) -> "_Tally":
        return cls(defaultdict(float), defaultdict(list))

    def add(self, key: Hashable, weight: float, word: str) -> None:
        self.scores[key] += weight
        if word not in self.evidence[key]:
            self.evidence[key].append(word)


class CategoryWords:
    """The category words (admins' keywords, cue words, integrity wording) scored on a text:
    evidence for the scorer and, frozen with it, features of the learned model (pickled with
    it, so a model keeps the words it was trained with until it is trained again)."""

    def __init__(self, words: _Lexicon):
        self.words = words
        self.keys = sorted({k for term in words.terms.values() for k in term.keys}, key=str)

    def tally(self, subject_n: str, body_n: str) -> _Tally:
        """Scores per category from normalized subject and body; a word counts once however
        often it is repeated, a denied integrity word counts as praise."""
        found: dict[str, tuple[_Term, float]] = {}
        for text, factor in ((subject_n, SUBJECT_FACTOR), (body_n, 1.0)):
            for start, term in self.words.hits(text):
                if is_negated(text, start):
                    if INTEGRITY in term.keys:
                        # "从不收红包" is praise more often than a complaint.
                        _keep(found, _Term(term.text, "word", 0.3, ("biaoyang",)), 1.0)
                    continue
                _keep(found, term, factor)
        tally = _Tally.empty()
        for term, factor in found.values():
            for key in term.keys:
                tally.add(key, term.weight * factor / len(term.keys), term.text)
        return tally

    def scores(self, text: str) -> dict[Hashable, float]:
        return dict(self.tally("", normalize(text)).scores)


class Scorer:
    """Built once from the reference rows; judges many reports."""

    def __init__(self, units: _Lexicon, categories: _Lexicon, calibration: Calibration):
        self.hall_context = [normalize(w) for w in lexicon.HALL_CONTEXT.split(",")]
        self.units = units
        self.category_words = CategoryWords(categories)
        self.calibration = calibration

    @classmethod
    def from_rows(
        cls,
        units: Iterable[tuple[Hashable, str, str | None, Sequence[str]]],
        categories: Iterable[tuple[Hashable, Hashable | None, str, Sequence[str]]],
        duties: Mapping[Hashable, str] | None = None,
        calibration: Calibration | None = None,
    ) -> "Scorer":
        """units: (key, name, short_name, aliases); categories: (key, parent_key, name,
        keywords); duties: key → responsibilities. Keys must be codes (the lexicon's keys)."""
        unit_lex, category_lex = _Lexicon(), _Lexicon()
        units = list(units)
        for key, name, short_name, aliases in units:
            unit_lex.add(name, "name", NAME_WEIGHT, key)
            if name and normalize(name).startswith("县") and len(name) > 3:
                unit_lex.add(name[1:], "name", NAME_WEIGHT, key)
            unit_lex.add(short_name, "name", SHORT_NAME_WEIGHT, key)
            for alias in aliases or ():
                unit_lex.add(alias, "name", _length_weight(normalize(alias)), key)
        known = {u[0] for u in units}
        for key, words in lexicon.BUSINESS.items():
            if key in known:
                for word in words.split(","):
                    unit_lex.add(word, "business", _length_weight(word), key)
        if HALL in known:
            for word in lexicon.HALL.split(","):
                unit_lex.add(word, "hall", _length_weight(word), HALL)
        duties = {k: v for k, v in (duties or {}).items() if k in known}
        for key, text in duties.items():
            for word in duty_terms(text):
                unit_lex.add(word, "duty", _length_weight(word), key)
        # A part never hides a stronger word inside it (医保报销 the 医保).
        words = list(unit_lex.terms)
        for part, (key, _term) in unit_context.duty_parts(duties).items():
            if not any(word in part for word in words):
                unit_lex.add(part, "duty", _length_weight(part) * unit_context.DUTY_PART_FACTOR, key)

        leaves = set()
        for key, parent, name, keywords in categories:
            leaves.add(key)
            leaves.discard(parent)
            for word in list(keywords or ()) + [p for p in (name or "").split("/") if len(p) >= 3]:
                category_lex.add(word, "word", _category_weight(word), key)
        for key, words in lexicon.CATEGORY_CUES.items():
            for word in filter(None, words.split(",")):
                category_lex.add(word, "word", _category_weight(word), key)
        for word in lexicon.INTEGRITY.split(","):
            category_lex.add(word, "word", _length_weight(word) * lexicon.INTEGRITY_WEIGHT, INTEGRITY)
        unit_lex.keep_inner_weight()
        category_lex.terms = {t: v for t, v in category_lex.terms.items() if set(v.keys) <= leaves}
        return cls(unit_lex, category_lex, calibration or Calibration.shipped())

    # --- judging ---------------------------------------------------------------------------

    def raw(self, subject: str | None, body: str | None, probabilities: Mapping | None = None):
        """Scores per candidate (unit, category) with their evidence, before calibration."""
        subject_n, body_n = normalize(subject), normalize(body)
        unit_words: dict[str, tuple[_Term, float]] = {}
        places: dict[str, tuple[_Term, float]] = {}
        for text, factor in ((subject_n, SUBJECT_FACTOR), (body_n, 1.0)):
            focus = unit_context.focus_start(text)
            conceded = unit_context.conceded(text)
            for start, term in self.units.hits(text):
                end = start + len(term.text)
                # "城管说归市场监管" — the body named after 归 is the one whose business it is.
                boost = DEFLECTION if unit_context.pointed_to(text, start) else 1.0
                if unit_context.disowned(text, end):
                    boost *= unit_context.DISOWNED
                if unit_context.settled(text, end):
                    boost *= unit_context.SETTLED
                if start < focus or any(a <= start < b for a, b in conceded):
                    boost *= unit_context.BEFORE_FOCUS
                if unit_context.is_paper(text, start, end):
                    boost *= unit_context.PAPER
                if unit_context.travelled(text, start, end):
                    boost *= unit_context.TRAVEL
                if unit_context.identity(text, start):
                    boost *= unit_context.IDENTITY
                if unit_context.landmark(text, end):
                    boost *= unit_context.LANDMARK
                if unit_context.thanked(text, start):
                    boost *= unit_context.THANKED
                if term.kind not in ("hall", "place") and unit_context.asked(text, start, end):
                    boost *= unit_context.ASKED
                _keep(places if term.kind == "place" else unit_words, term, factor * boost)
        # A word counts once however often it is repeated: one witness, not five.
        units = _Tally.empty()
        institutions: dict[Hashable, float] = {}
        for term, factor in unit_words.values():
            for key in term.keys:
                weight = term.weight * factor / len(term.keys)
                if term.kind == "institution":
                    # 卫生院 and 县医院 in one report are one place: the strongest counts.
                    weight = max(0.0, weight - institutions.get(key, 0.0))
                    institutions[key] = institutions.get(key, 0.0) + weight
                units.add(key, weight, term.text)
        categories = self.category_words.tally(subject_n, body_n)
        if probabilities and probabilities.get("category"):
            for key in categories.scores:
                categories.scores[key] *= WORDS_WITH_MODEL
        else:
            categories.integrity_words = categories.scores.get(INTEGRITY, 0.0)
            categories.weak = WEAK_CATEGORY
        # The place counts for the hall's operator only when no department is named at all,
        # and with what is said about the building's running (hours, parking, queues).
        if places and max(units.scores.values(), default=0.0) < WEAK_UNIT:
            for term, factor in places.values():
                units.add(HALL, term.weight * factor, term.text)
            for word in self.hall_context:
                if word in body_n or word in subject_n:
                    units.add(HALL, KIND_WEIGHT["hall"] * _length_weight(word), word)
        text = f"{subject_n}\n{body_n}"
        for words, weight in (
            (unit_context.no_single_unit(text), lexicon.NO_SINGLE_UNIT_WEIGHT),
            (unit_context.unknown_owner(text), lexicon.UNKNOWN_OWNER_WEIGHT),
        ):
            for word in words[: unit_context.NO_SINGLE_UNIT_CUES]:
                units.add(NOBODY, weight, word)
        probabilities = probabilities or {}
        for head, tally in (("unit", units), ("category", categories)):
            for key, p in (probabilities.get(head) or {}).items():
                # The model strengthens the candidates the words put forward, and brings
                # categories of its own (how a report is written says what kind it is); a unit
                # only as a rival when it is fairly sure (it learned where reports came from as
                # much as whose business they were), and never the hall's operator.
                brings = p >= MODEL_CANDIDATE and key != HALL
                if p >= 0.05 and (key in tally.scores or head == "category" or brings):
                    tally.add(key, MODEL_WEIGHT[head] * p, "model")
        return units, categories

    def judge(self, subject: str | None, body: str | None, probabilities: Mapping | None = None) -> Suggestions:
        units, categories = self.raw(subject, body, probabilities)
        unit = self._decide("unit", units)
        category = self._decide("category", categories, integrity=True)
        others = tuple(
            FieldSuggestion(k, 0.0, tuple(units.evidence[k]), "evidence")
            for k in sorted(units.scores, key=lambda k: -units.scores[k])
            if k not in (unit.key, NOBODY)
        )
        return Suggestions(unit=unit, category=category, other_units=others)

    def _decide(self, head: str, tally: _Tally, integrity: bool = False) -> FieldSuggestion:
        ranked = sorted(tally.scores, key=lambda k: -tally.scores[k])
        if integrity and tally.integrity_words >= INTEGRITY_WINS:
            # An improper demand is the complaint whatever it was about (the wait, the papers):
            # the topic's words are no rival to it.
            ranked.remove(INTEGRITY)
            ranked.insert(0, INTEGRITY)
            tally.scores.update({k: v * TOPIC_AGAINST_INTEGRITY for k, v in tally.scores.items() if k != INTEGRITY})
        if not ranked:
            if head == "category":
                return FieldSuggestion(OTHER, self.calibration.apply(head, 0.0), (), "none", reason="no-words")
            return FieldSuggestion(None, 0.0, (), "none", reason="no-evidence")
        best = ranked[0]
        if head == "category" and best != OTHER and tally.scores[best] < tally.weak:
            # Weak words for any one kind: the report is of another kind (其他) more often.
            tally.scores[OTHER] = max(tally.scores.get(OTHER, 0.0), tally.weak)
            ranked = sorted(tally.scores, key=lambda k: -tally.scores[k])
            best = ranked[0]
        first = tally.scores[best]
        second = tally.scores[ranked[1]] if len(ranked) > 1 else 0.0
        raw = strength(first, second)
        confidence = self.calibration.apply(head, raw)
        runner_up = None
        if len(ranked) > 1:
            runner_up = FieldSuggestion(
                ranked[1], self.calibration.apply(head, strength(second, first)), tuple(tally.evidence[ranked[1]])
            )
        evidence = tuple(tally.evidence[best])
        if head == "unit" and best == NOBODY:
            return FieldSuggestion(None, 0.0, evidence, "none", runner_up=runner_up, reason="no-single-unit")
        # The model alone never names the unit: on the development sets its lone suggestions were
        # wrong three times in four (it knows how reports of a unit read, not whose business
        # this one is); it only disputes the words' candidate.
        if head == "unit" and (confidence < self.calibration.abstain or evidence == ("model",)):
            reason = "model-only" if evidence == ("model",) else "undecided"
            return FieldSuggestion(
                None, confidence, evidence, "none", runner_up=_as_runner_up(best, tally), reason=reason
            )
        return FieldSuggestion(best, confidence, evidence, "evidence", runner_up=runner_up, raw=raw)


def _keep(words: dict, term: _Term, factor: float) -> None:
    if term.text not in words or words[term.text][1] < factor:
        words[term.text] = (term, factor)


def _as_runner_up(key, tally) -> FieldSuggestion:
    return FieldSuggestion(key, 0.0, tuple(tally.evidence[key]))


def _category_weight(word: str) -> float:
    word = normalize(word)
    return lexicon.GENERIC_WEIGHT if word in lexicon.GENERIC else _length_weight(word)


def strength(first: float, second: float) -> float:
    """The raw confidence of a candidate: how much evidence it has (saturating) times its lead
    over the runner-up. Monotone in both, which is all the calibration needs."""
    if first <= 0:
        return 0.0
    return round((1 - math.exp(-1.5 * first)) * first / (first + second), 4)


def seed_scorer(calibration: Calibration | None = None) -> Scorer:
    """The scorer from the seed data, keyed by code: for the tests, tuning and a new install."""
    from intake.reference.seed_data import CATEGORIES, UNITS

    categories = []
    for top in CATEGORIES:
        categories.append((top["code"], None, top["name"], top.get("keywords", [])))
        for child in top.get("children", []):
            categories.append((child["code"], top["code"], child["name"], child.get("keywords", [])))
    units = [(u["code"], u["name"], u.get("short_name"), u.get("aliases", [])) for u in UNITS]
    duties = {u["code"]: u.get("duties", "") for u in UNITS}
    return Scorer.from_rows(units=units, categories=categories, duties=duties, calibration=calibration)
