"""Suggestions in the product: the pure engine of `intake.triage.suggest` fed with the rules
admins edit (unit aliases, category keywords) and the trained model, stored per item, applied
automatically above the admin-set confidence, accepted or corrected by staff with an event.

`apply_suggestions(item_id)` (a web item's follow-up job) and `apply_suggestions_many(ids)` (a
batch of mail) are the entry points for jobs; both are idempotent. Services flush; the job or
request commits."""

import functools
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import Event, EventKind, FeedbackItem, ItemStatus, Priority
from intake.reference.models import Category, Unit
from intake.triage.models import Decision, ItemSuggestion, TriageSetting
from intake.triage.suggest import classifier
from intake.triage.suggest.evidence import Scorer
from intake.triage.suggest.priority import priority_hint

if TYPE_CHECKING:
    import numpy as np

# NumPy (the duplicate signatures) is imported when a signature is made or compared: the web
# app, the watcher and a worker's parse jobs start without it.

log = logging.getLogger(__name__)

AUTO_APPLY_KEY = "auto_apply_threshold"
FIELDS = ("unit", "category")
DUPLICATE_THRESHOLD = 0.5
DUPLICATE_SCAN_LIMIT = 5000
_PRIORITY_RANK = {p: i for i, p in enumerate(Priority)}
# Statuses in which staff have looked at an item: its unit and category count as confirmed.
CONFIRMED_STATUSES = (ItemStatus.accepted, ItemStatus.routed, ItemStatus.rectifying, ItemStatus.closed)

_model_cache: dict[str, tuple[float, classifier.Model]] = {}


class SuggestionError(ValueError):
    """Nothing to accept, or a value that does not exist."""


# --- rules, model, settings -------------------------------------------------------------------


def scorer() -> Scorer:
    """Every kind of evidence as admins left it (aliases, keywords, unit responsibilities),
    keyed by code, with the shipped calibration."""
    units = db.session.execute(
        select(Unit.code, Unit.name, Unit.short_name, Unit.aliases, Unit.duties).where(Unit.is_active.is_(True))
    ).all()
    categories = db.session.execute(
        select(Category.id, Category.code, Category.parent_id, Category.name, Category.keywords).where(
            Category.is_active.is_(True)
        )
    ).all()
    code_of = {c.id: c.code for c in categories}
    return Scorer.from_rows(
        units=[(u.code, u.name, u.short_name, _split(u.aliases)) for u in units],
        categories=[(c.code, code_of.get(c.parent_id), c.name, _split(c.keywords)) for c in categories],
        duties={u.code: u.duties for u in units},
    )


def calibration():
    """The shipped calibration: abstention and auto-apply thresholds chosen on held-out reports."""
    from intake.triage.suggest.calibration import Calibration

    return Calibration.shipped()


def judge(found_by: Scorer, model: classifier.Model | None, subject: str | None, body: str | None):
    """The suggestions for one report: evidence and, with a trained model, its probabilities."""
    probabilities = model.probabilities(f"{subject or ''}\n{body or ''}") if model is not None else None
    return found_by.judge(subject, body, probabilities)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").replace("，", ",").split(",") if v.strip()]


def load_model() -> classifier.Model | None:
    """The trained model at CLASSIFIER_PATH, reloaded when the file changes; None without one."""
    path = current_app.config.get("CLASSIFIER_PATH") or ""
    if not path or not os.path.exists(path):
        return None
    mtime = os.path.getmtime(path)
    cached = _model_cache.get(path)
    if cached is None or cached[0] != mtime:
        cached = (mtime, classifier.Model.load(path))
        _model_cache[path] = cached
    return cached[1]


def forget_model(path: str) -> None:
    """After writing a new model: the next `load_model` reads it."""
    _model_cache.pop(path, None)


def auto_apply_threshold() -> float:
    row = db.session.get(TriageSetting, AUTO_APPLY_KEY)
    if row is not None:
        return float(row.value)
    return float(current_app.config["SUGGEST_AUTO_APPLY"])


def set_auto_apply_threshold(value: float, actor_id: int) -> None:
    if not 0 <= value <= 1.01:
        raise SuggestionError("threshold out of range")
    row = db.session.get(TriageSetting, AUTO_APPLY_KEY)
    if row is None:
        row = TriageSetting(key=AUTO_APPLY_KEY, value="")
        db.session.add(row)
    row.value = f"{value:.3f}"
    row.updated_by_id = actor_id
    db.session.flush()


def update_unit_aliases(unit_id: int, aliases: str) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise SuggestionError("unknown unit")
    unit.aliases = ",".join(_split(aliases))
    db.session.flush()
    return unit


def update_unit_duties(unit_id: int, duties: str) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise SuggestionError("unknown unit")
    unit.duties = " ".join(duties.split())
    db.session.flush()
    return unit


def update_category_keywords(category_id: int, keywords: str) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        raise SuggestionError("unknown category")
    category.keywords = ",".join(_split(keywords))
    db.session.flush()
    return category


# --- computing and storing --------------------------------------------------------------------


def item_text(item: FeedbackItem) -> str:
    return f"{item.subject}\n{item.body}"


@functools.cache
def _hash_functions():
    """An empty index, for its hash functions only: the signatures live in the rows."""
    from intake.triage.suggest.duplicates import DuplicateIndex

    return DuplicateIndex()


def signature_bytes(text: str) -> bytes | None:
    import numpy as np

    signature = _hash_functions().signature(text)
    # Values are below 2**32 (the index masks them): four bytes each are enough.
    return None if signature is None else signature.astype(np.uint32).tobytes()


def _signature(data: bytes | None) -> "np.ndarray | None":
    import numpy as np

    return None if not data else np.frombuffer(data, dtype=np.uint32).astype(np.uint64)


@dataclass
class _Context:
    """What suggesting needs besides the item, read once for many items."""

    scorer: Scorer
    model: classifier.Model | None
    unit_ids: dict[str, int]
    category_ids: dict[str, int]
    threshold: float

    @classmethod
    def load(cls) -> "_Context":
        return cls(
            scorer=scorer(),
            model=load_model(),
            unit_ids=dict(db.session.execute(select(Unit.code, Unit.id)).all()),
            category_ids=dict(db.session.execute(select(Category.code, Category.id)).all()),
            threshold=auto_apply_threshold(),
        )


def apply_suggestions(item_id: int) -> ItemSuggestion | None:
    """Suggest a unit and category for a new item, store them with their evidence, apply those
    above the auto-apply confidence (each with an event), raise the priority and flag the item
    when its words call for it. Does nothing for an item that already has its suggestion."""
    item = db.session.get(FeedbackItem, item_id)
    if item is None:
        return None
    existing = db.session.get(ItemSuggestion, item_id)
    if existing is not None:
        return existing
    suggestion = _suggest(item, _Context.load())
    db.session.flush()
    return suggestion


def apply_suggestions_many(item_ids: list[int]) -> int:
    """`apply_suggestions` for many items (a batch of mail) with the rules, model and settings
    read once; returns how many items got their suggestion now."""
    items = list(
        db.session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_(item_ids)).order_by(FeedbackItem.id))
    )
    done = set(db.session.scalars(select(ItemSuggestion.item_id).where(ItemSuggestion.item_id.in_(item_ids))))
    todo = [item for item in items if item.id not in done]
    if todo:
        context = _Context.load()
        for item in todo:
            _suggest(item, context)
        db.session.flush()
    return len(todo)


def _suggest(item: FeedbackItem, context: _Context) -> ItemSuggestion:
    found = judge(context.scorer, context.model, item.subject, item.body)
    unit_ids, category_ids = context.unit_ids, context.category_ids
    calibrated = context.scorer.calibration.auto_apply
    hint = priority_hint(item.subject, item.body)
    suggestion = ItemSuggestion(
        item_id=item.id,
        unit_id=unit_ids.get(found.unit.key),
        unit_confidence=float(found.unit.confidence) if found.unit.key in unit_ids else 0.0,
        # Kept when no unit is suggested too: staff see what was there and did not decide.
        unit_evidence="、".join(found.unit.evidence),
        unit_source=found.unit.source if found.unit.key in unit_ids else "none",
        unit_reason=found.unit.reason,
        unit_runner_up_id=_runner_up(found.unit, unit_ids),
        unit_runner_up_confidence=found.unit.runner_up.confidence if _runner_up(found.unit, unit_ids) else 0.0,
        category_id=category_ids.get(found.category.key),
        category_confidence=float(found.category.confidence) if found.category.key in category_ids else 0.0,
        category_evidence="、".join(found.category.evidence) if found.category.key in category_ids else "",
        category_source=found.category.source if found.category.key in category_ids else "none",
        category_runner_up_id=_runner_up(found.category, category_ids),
        category_runner_up_confidence=(
            found.category.runner_up.confidence if _runner_up(found.category, category_ids) else 0.0
        ),
        hint_priority=hint.priority,
        flags=",".join(hint.flags),
        flag_words="、".join(w for words in hint.words.values() for w in words),
        is_flagged=hint.raised,
        signature=signature_bytes(item_text(item)),
        threshold=context.threshold,
    )
    db.session.add(suggestion)
    for field in FIELDS:
        suggested = getattr(suggestion, f"{field}_id")
        if suggested is None or getattr(item, f"{field}_id") is not None:
            continue
        # The admin's threshold, and never below the one chosen on held-out reports for
        # precision ≥ 0.97: a confidence is a probability only as far as it was calibrated.
        if getattr(suggestion, f"{field}_confidence") >= max(context.threshold, calibrated[field]):
            setattr(item, f"{field}_id", suggested)
            setattr(suggestion, f"{field}_decision", Decision.auto_applied)
            item.events.append(
                Event(
                    kind=EventKind.suggestion_applied,
                    to_value=f"{field}:{suggested}",
                    note=_describe(field, suggested, getattr(suggestion, f"{field}_confidence")),
                )
            )
    if hint.raised:
        new = Priority(hint.priority)
        if _PRIORITY_RANK[new] > _PRIORITY_RANK[item.priority]:
            old = item.priority
            item.priority = new
            item.events.append(
                Event(
                    kind=EventKind.priority_raised, from_value=old.value, to_value=new.value, note=suggestion.flag_words
                )
            )
    return suggestion


def _runner_up(found, ids: dict) -> int | None:
    return ids.get(found.runner_up.key) if found.runner_up is not None else None


def _describe(field: str, value_id: int | None, confidence: float | None = None) -> str:
    model = Unit if field == "unit" else Category
    row = db.session.get(model, value_id) if value_id else None
    name = row.name if row is not None else "—"
    return name if confidence is None else f"{name} ({confidence:.0%})"


# --- staff decisions ---------------------------------------------------------------------------


def set_classification(
    item: FeedbackItem, actor_id: int | None, *, unit_id: int | None = None, category_id: int | None = None
) -> list[Event]:
    """Set the unit and/or category of an item (None leaves a field as it is). Against a
    pending suggestion the change counts as accepting it (same value) or correcting it; each
    changed field leaves an event."""
    suggestion = db.session.get(ItemSuggestion, item.id)
    events = []
    for field, value in (("unit", unit_id), ("category", category_id)):
        if value is None:
            continue
        model = Unit if field == "unit" else Category
        if db.session.get(model, value) is None:
            raise SuggestionError(f"unknown {field}")
        old = getattr(item, f"{field}_id")
        suggested = getattr(suggestion, f"{field}_id") if suggestion is not None else None
        decision = getattr(suggestion, f"{field}_decision") if suggestion is not None else None
        if suggested is not None and decision in (None, Decision.auto_applied):
            accepted = value == suggested
            setattr(suggestion, f"{field}_decision", Decision.accepted if accepted else Decision.corrected)
            kind = EventKind.suggestion_accepted if accepted else EventKind.suggestion_corrected
        elif old == value:
            continue
        else:
            kind = EventKind.classified
        setattr(item, f"{field}_id", value)
        event = Event(
            kind=kind,
            actor_id=actor_id,
            from_value=f"{field}:{old}" if old else None,
            to_value=f"{field}:{value}",
            note=_describe(field, value),
        )
        item.events.append(event)
        events.append(event)
    db.session.flush()
    return events


def accept_suggestion(item: FeedbackItem, actor_id: int, field: str | None = None) -> list[Event]:
    """Take the suggested unit and/or category as they are (one click)."""
    suggestion = db.session.get(ItemSuggestion, item.id)
    if suggestion is None:
        raise SuggestionError("no suggestion")
    fields = [field] if field else list(FIELDS)
    values = {
        f: getattr(suggestion, f"{f}_id")
        for f in fields
        if getattr(suggestion, f"{f}_id") is not None
        and getattr(suggestion, f"{f}_decision") in (None, Decision.auto_applied)
    }
    if not values:
        raise SuggestionError("nothing to accept")
    return set_classification(item, actor_id, unit_id=values.get("unit"), category_id=values.get("category"))


# --- near-duplicates ----------------------------------------------------------------------------


@dataclass
class Related:
    item: FeedbackItem
    similarity: float


def related_items(item: FeedbackItem, threshold: float = DUPLICATE_THRESHOLD, limit: int = 10) -> list[Related]:
    """Reports about the same problem: stored MinHash signatures of the reports received in the
    window around this one, compared with its own."""
    own = db.session.get(ItemSuggestion, item.id)
    signature = _signature(own.signature) if own is not None else _signature(signature_bytes(item_text(item)))
    if signature is None:
        return []
    window = timedelta(days=current_app.config["DUPLICATE_WINDOW_DAYS"])
    rows = db.session.execute(
        select(ItemSuggestion.item_id, ItemSuggestion.signature)
        .join(FeedbackItem, FeedbackItem.id == ItemSuggestion.item_id)
        .where(
            ItemSuggestion.signature.is_not(None),
            ItemSuggestion.item_id != item.id,
            FeedbackItem.received_at >= item.received_at - window,
            FeedbackItem.received_at <= item.received_at + window,
        )
        .order_by(FeedbackItem.received_at.desc())
        .limit(DUPLICATE_SCAN_LIMIT)
    ).all()
    from intake.triage.suggest.duplicates import DuplicateIndex

    index = DuplicateIndex()
    for item_id, data in rows:
        index.add_signature(item_id, _signature(data))
    found = index.similar_to_signature(signature, threshold)[:limit]
    by_id = {
        i.id: i for i in db.session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_([f[0] for f in found])))
    }
    return [Related(by_id[item_id], score) for item_id, score in found if item_id in by_id]
