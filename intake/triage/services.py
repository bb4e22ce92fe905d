"""Reading the queue: filters and pagination shared by the page and later by exports."""
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from intake.extensions import db
from intake.feedback.models import FeedbackItem, ItemStatus, Source

FINAL_STATUSES = [s for s in ItemStatus if s.is_final]


@dataclass
class QueueFilter:
    status: str | None = None  # None: open items; "all": everything; else one status value
    unit_id: int | None = None
    category_id: int | None = None
    source: str | None = None
    # Mail no person wrote (auto-replies, bounces, lists): False hides it (the default),
    # True shows only it, None shows everything.
    is_auto: bool | None = False


@dataclass
class Page:
    items: list[FeedbackItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


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
    return query


def queue_page(f: QueueFilter, page: int, per_page: int) -> Page:
    page = max(1, page)
    total = db.session.scalar(_filtered(select(func.count(FeedbackItem.id)), f))
    items = db.session.scalars(
        _filtered(select(FeedbackItem), f)
        .options(selectinload(FeedbackItem.unit), selectinload(FeedbackItem.category))
        .order_by(FeedbackItem.received_at.desc(), FeedbackItem.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(items), total=total or 0, page=page, per_page=per_page)
