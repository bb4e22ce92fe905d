"""The queue: filters, keyset pages, capped counts per facet, search; the staff to assign to."""

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, exists, func, select, tuple_
from sqlalchemy.orm import selectinload

from intake.auth.models import Role, User
from intake.core.params import MAX_ID
from intake.extensions import db
from intake.feedback.models import Attachment, FeedbackItem, ItemStatus, Priority, Source
from intake.triage import search
from intake.triage.models import ItemSuggestion

FINAL_STATUSES = [s for s in ItemStatus if s.is_final]
# Counting stops here: at a million rows an exact count per filter costs more than the page.
# Beyond this, counts read "1000+". Counting the newest rows first lets PostgreSQL walk the
# keyset index and stop early; exact counts of 100,000 open items cost more than the page.
COUNT_CAP = 1_000
SEARCH_COUNT_CAP = 1_000


@dataclass
class QueueFilter:
    status: str | None = None  # None: open items; "all": everything; else one status value
    unit_id: int | None = None
    category_id: int | None = None
    source: str | None = None
    # Mail no person wrote (auto-replies, bounces, lists): False hides it (the default),
    # True shows only it, None shows everything.
    is_auto: bool | None = False
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    assignee_id: int | None = None
    unassigned: bool = False
    priority: str | None = None
    # Conditions the layers above add (the ledger's "in an overdue task"), as SQL expressions
    # on FeedbackItem: triage does not know the ledger.
    conditions: tuple = ()
    has_attachment: bool = False
    flagged: bool = False
    q: str | None = None


@dataclass(frozen=True)
class Cursor:
    """A position in the queue's order (received_at desc, id desc)."""

    received_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.received_at.isoformat()}_{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> "Cursor | None":
        if not value:
            return None
        stamp, _, item_id = value.rpartition("_")
        try:
            cursor = cls(datetime.fromisoformat(stamp), int(item_id))
        except ValueError:
            return None
        # A hand-edited link: an id no column holds would fail in the database, not here.
        return cursor if 0 < cursor.id <= MAX_ID else None


@dataclass
class Page:
    items: list[FeedbackItem]
    next_cursor: Cursor | None = None
    prev_cursor: Cursor | None = None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        return self.prev_cursor is not None


@dataclass
class Counts:
    """How many items match, and per value of each filter within them (capped)."""

    total: int = 0
    capped: bool = False
    by: dict[str, dict] = field(default_factory=dict)


def _filtered(query: Select, f: QueueFilter) -> Select:
    if f.status is None:
        query = query.where(FeedbackItem.status.not_in(FINAL_STATUSES))
    elif f.status != "all":
        query = query.where(FeedbackItem.status == ItemStatus(f.status))
    if f.unit_id:
        query = query.where(FeedbackItem.unit_id == f.unit_id)
    if f.category_id:
        query = query.where(FeedbackItem.category_id == f.category_id)
    if f.source:
        query = query.where(FeedbackItem.source == Source(f.source))
    if f.is_auto is not None:
        query = query.where(FeedbackItem.is_auto.is_(f.is_auto))
    if f.date_from:
        query = query.where(FeedbackItem.received_at >= datetime.combine(f.date_from, time.min))
    if f.date_to:
        query = query.where(FeedbackItem.received_at < datetime.combine(f.date_to + timedelta(days=1), time.min))
    if f.unassigned:
        query = query.where(FeedbackItem.assignee_id.is_(None))
    elif f.assignee_id:
        query = query.where(FeedbackItem.assignee_id == f.assignee_id)
    if f.priority:
        query = query.where(FeedbackItem.priority == Priority(f.priority))
    if f.has_attachment:
        query = query.where(exists().where(Attachment.item_id == FeedbackItem.id))
    if f.flagged:
        query = query.where(
            exists().where(ItemSuggestion.item_id == FeedbackItem.id, ItemSuggestion.is_flagged.is_(True))
        )
    for condition in f.conditions:
        query = query.where(condition)
    if f.q:
        condition = search.search_condition(f.q)
        if condition is not None:
            query = query.where(condition)
    return query


def queue_page(f: QueueFilter, per_page: int, after: Cursor | None = None, before: Cursor | None = None) -> Page:
    """One page of the queue, newest first, after (or before) a cursor: keyset pagination, so a
    deep page costs what the first does and new arrivals do not shift what staff are reading."""
    key = tuple_(FeedbackItem.received_at, FeedbackItem.id)
    query = _filtered(select(FeedbackItem), f).options(
        selectinload(FeedbackItem.unit),
        selectinload(FeedbackItem.category),
        selectinload(FeedbackItem.assignee),
        selectinload(FeedbackItem.suggestion),
    )
    if before is not None:
        query = query.where(key > tuple_(before.received_at, before.id)).order_by(
            FeedbackItem.received_at.asc(), FeedbackItem.id.asc()
        )
    else:
        if after is not None:
            query = query.where(key < tuple_(after.received_at, after.id))
        query = query.order_by(FeedbackItem.received_at.desc(), FeedbackItem.id.desc())
    rows = list(db.session.scalars(query.limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if before is not None:
        rows.reverse()
    page = Page(items=rows)
    if rows:
        first, last = rows[0], rows[-1]
        if (before is None and more) or before is not None:
            page.next_cursor = Cursor(last.received_at, last.id)
        if after is not None or (before is not None and more):
            page.prev_cursor = Cursor(first.received_at, first.id)
    return page


FACETS = ("status", "unit_id", "category_id", "source", "priority")


def queue_counts(f: QueueFilter, cap: int | None = None) -> Counts:
    """The number of matching items and, within them, per status, unit, category, source and
    priority, in one grouped query over at most `cap` rows (beyond that, counts say "at least")."""
    if cap is None:
        cap = SEARCH_COUNT_CAP if f.q else COUNT_CAP
    columns = [getattr(FeedbackItem, name) for name in FACETS]
    capped_rows = (
        _filtered(select(*columns), f)
        .order_by(FeedbackItem.received_at.desc(), FeedbackItem.id.desc())
        .limit(cap + 1)
        .subquery()
    )
    grouped = db.session.execute(
        select(*[capped_rows.c[name] for name in FACETS], func.count()).group_by(
            *[capped_rows.c[name] for name in FACETS]
        )
    ).all()
    counts = Counts(by={name: {} for name in FACETS})
    for row in grouped:
        n = row[-1]
        counts.total += n
        for name, value in zip(FACETS, row[:-1]):
            value = getattr(value, "value", value)
            counts.by[name][value] = counts.by[name].get(value, 0) + n
    counts.capped = counts.total > cap
    counts.total = min(counts.total, cap)
    return counts


def staff_users() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_((Role.admin, Role.staff)), User.is_active_account.is_(True))
            .order_by(User.display_name)
        )
    )


def filter_from_dict(values: dict) -> QueueFilter:
    """A QueueFilter from plain values (e.g. a saved view), unknown keys ignored."""
    names = {f.name for f in fields(QueueFilter)}
    return replace(QueueFilter(), **{k: v for k, v in values.items() if k in names})
