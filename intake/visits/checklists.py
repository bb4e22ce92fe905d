"""The year's visit checklist: its default items, staff's edits, and reading a member's answers.
Figures are summed over the default items' keys, whatever their labels say."""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intake.extensions import db
from intake.timeutil import utcnow
from intake.visits.models import AnswerKind, VisitChecklist

DEFAULT_ITEMS = [
    {"key": "wait_minutes", "kind": "minutes", "label": ""},
    {"key": "trips", "kind": "count", "label": ""},
    {"key": "attitude", "kind": "scale", "label": ""},
    {"key": "promise_kept", "kind": "yesno", "label": ""},
    {"key": "improper_request", "kind": "yesno", "label": ""},
    {"key": "fees_posted", "kind": "yesno", "label": ""},
]
DEFAULT_LABELS = {
    "wait_minutes": _l("Waiting time, in minutes"),
    "trips": _l("Trips needed for the matter (跑了几次)"),
    "attitude": _l("Staff attitude, 1 (poor) to 5 (good)"),
    "promise_kept": _l("Did the “一次办好” / one-window promise hold?"),
    "improper_request": _l("Did anyone ask for anything improper (吃拿卡要)?"),
    "fees_posted": _l("Were the fees and rules posted?"),
}
# Upper bounds of numeric answers: a wait of a whole day, a matter of many trips.
LIMITS = {AnswerKind.minutes: (0, 1440), AnswerKind.count: (0, 99), AnswerKind.scale: (1, 5)}
MAX_TEXT = 500
MAX_ITEMS = 20
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    kind: AnswerKind
    label: str  # as staff wrote it; "" for a default item's translated label

    @property
    def shown_label(self) -> str:
        return self.label or str(DEFAULT_LABELS.get(self.key, self.key))

    @property
    def bounds(self) -> tuple[int, int] | None:
        return LIMITS.get(self.kind)


class ChecklistError(ValueError):
    """A checklist staff wrote that cannot be used."""


def _items(rows: list[dict]) -> list[ChecklistItem]:
    return [ChecklistItem(r["key"], AnswerKind(r["kind"]), r.get("label") or "") for r in rows]


def checklist_of(cycle_id: int) -> list[ChecklistItem]:
    """The items of a year's checklist: staff's version, or the default one."""
    row = db.session.scalar(select(VisitChecklist).where(VisitChecklist.cycle_id == cycle_id))
    return _items(row.items if row is not None else DEFAULT_ITEMS)


def save_checklist(cycle_id: int, rows: list[tuple[str, str, str]], actor_id: int) -> list[ChecklistItem]:
    """Replace a year's checklist by `rows` of (key, kind, label): an empty key is a new item,
    a row without label and key is dropped. Answers already given keep their keys."""
    items, used = [], set()
    taken = {(key or "").strip() for key, _kind, _label in rows}
    for key, kind, label in rows:
        key, label = (key or "").strip(), (label or "").strip()
        if not key and not label:
            continue
        if not key:
            key = next(f"item{n}" for n in range(1, 100) if f"item{n}" not in taken)
            taken.add(key)
        if not KEY_RE.match(key) or key in used:
            raise ChecklistError("bad or repeated key")
        if key not in DEFAULT_LABELS and not label:
            raise ChecklistError("a new item needs a label")
        try:
            AnswerKind(kind)
        except ValueError:
            raise ChecklistError("unknown answer kind")
        used.add(key)
        items.append({"key": key, "kind": kind, "label": label[:200]})
    if not items or len(items) > MAX_ITEMS:
        raise ChecklistError("a checklist has 1 to 20 items")
    row = db.session.scalar(select(VisitChecklist).where(VisitChecklist.cycle_id == cycle_id))
    if row is None:
        row = VisitChecklist(cycle_id=cycle_id, items=items)
        db.session.add(row)
    row.items, row.updated_at, row.updated_by_id = items, utcnow(), actor_id
    db.session.flush()
    return _items(items)


def read_answers(items: list[ChecklistItem], raw: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """A member's answers as typed (`raw`: key -> text, "" or missing when unanswered) checked
    against the items. Returns the answers (int, bool or str) and the errors per key."""
    answers, errors = {}, {}
    for item in items:
        value = (raw.get(item.key) or "").strip()
        if not value:
            continue
        if item.kind is AnswerKind.yesno:
            if value not in ("yes", "no"):
                errors[item.key] = str(_l("Answer yes or no."))
            else:
                answers[item.key] = value == "yes"
        elif item.kind is AnswerKind.text:
            if len(value) > MAX_TEXT:
                errors[item.key] = str(_l("At most %(n)d characters.", n=MAX_TEXT))
            else:
                answers[item.key] = value
        else:
            low, high = item.bounds
            # isdecimal() alone takes ０-９ and a million digits, which int() then refuses.
            if not (value.isascii() and value.isdecimal() and len(value) <= 9) or not low <= int(value) <= high:
                errors[item.key] = str(_l("A whole number from %(low)d to %(high)d.", low=low, high=high))
            else:
                answers[item.key] = int(value)
    return answers, errors


def shown_answer(item: ChecklistItem, value) -> str:
    if value is None:
        return "—"
    if item.kind is AnswerKind.yesno:
        return str(_l("Yes") if value else _l("No"))
    return str(value)
