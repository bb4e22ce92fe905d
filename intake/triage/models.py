"""Triage's own rows: the suggestion stored for each item, admin settings, saved queue views,
reply templates (受理告知, 不予受理说明, 办结答复) and the replies staff send from an item."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false as sa_false

from intake.auth.models import User
from intake.core.models import enum_column
from intake.extensions import db
from intake.feedback.models import SUBJECT_LENGTH, FeedbackItem
from intake.reference.models import Category, Unit
from intake.timeutil import utcnow

# Indexes of feedback_items that serve the triage queue: the keyset order (received_at, id)
# alone and behind each selective filter, so a filtered page and its deep pages are one index
# range. On PostgreSQL they carry the filter and facet columns (INCLUDE): the capped counts per
# filter then read the index only, never the table (issue 4 bench: 57 ms -> 1.4 ms at 1M rows).
_items = FeedbackItem.__table__.c
QUEUE_FACET_COLUMNS = ("status", "unit_id", "category_id", "source", "priority", "is_auto", "assignee_id")


def _queue_index(name: str, *leading: str) -> Index:
    include = [c for c in QUEUE_FACET_COLUMNS if c not in leading]
    return Index(name, *(_items[c] for c in leading), _items.received_at, _items.id, postgresql_include=include)


_queue_index("ix_feedback_items_keyset")
_queue_index("ix_feedback_items_status_queue", "status")
_queue_index("ix_feedback_items_unit_queue", "unit_id")
_queue_index("ix_feedback_items_category_queue", "category_id")
_queue_index("ix_feedback_items_assignee_queue", "assignee_id")
_queue_index("ix_feedback_items_priority_queue", "priority")


class Decision(enum.Enum):
    """What staff did with a suggested value."""

    accepted = "accepted"
    corrected = "corrected"
    auto_applied = "auto_applied"


class ItemSuggestion(db.Model):
    """The suggested unit and category of one item, with confidence, the words behind each and
    where it came from (rules, model, both); the priority hint; the MinHash signature used to
    find near-duplicates. Written once by `apply_suggestions`; staff decisions are recorded on it
    and, with the item's final values, feed the next training."""

    __tablename__ = "item_suggestions"
    __table_args__ = (
        CheckConstraint("unit_confidence >= 0 AND unit_confidence <= 1", name="unit_confidence_range"),
        CheckConstraint("category_confidence >= 0 AND category_confidence <= 1", name="category_confidence_range"),
    )

    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    unit_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    unit_evidence: Mapped[str] = mapped_column(Text, default="")  # words, "、"-joined
    unit_source: Mapped[str] = mapped_column(String(16), default="none")
    unit_decision: Mapped[Decision | None] = mapped_column(enum_column(Decision, "unit_decision"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    category_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    category_evidence: Mapped[str] = mapped_column(Text, default="")
    category_source: Mapped[str] = mapped_column(String(16), default="none")
    category_decision: Mapped[Decision | None] = mapped_column(enum_column(Decision, "category_decision"))
    # The next best candidate of each field, and why no unit was suggested when none was
    # ("no-evidence", "undecided", "model-only", "no-single-unit"): shown to staff next to the suggestion.
    unit_reason: Mapped[str] = mapped_column(String(32), default="")
    unit_runner_up_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    unit_runner_up_confidence: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    category_runner_up_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    category_runner_up_confidence: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    # Priority hint: flags (safety, retaliation, integrity, urgency) and the words that raised them.
    hint_priority: Mapped[str] = mapped_column(String(16), default="normal")
    flags: Mapped[str] = mapped_column(String(100), default="")  # comma-joined
    flag_words: Mapped[str] = mapped_column(Text, default="")
    is_flagged: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false(), index=True)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)  # MinHash, uint32 × num_perm
    threshold: Mapped[float] = mapped_column(Float, default=1.0)  # auto-apply threshold at the time
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[FeedbackItem] = relationship(backref=db.backref("suggestion", uselist=False, passive_deletes=True))
    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])
    category: Mapped[Category | None] = relationship(foreign_keys=[category_id])
    unit_runner_up: Mapped[Unit | None] = relationship(foreign_keys=[unit_runner_up_id])
    category_runner_up: Mapped[Category | None] = relationship(foreign_keys=[category_runner_up_id])

    @property
    def unit_words(self) -> list[str]:
        return [w for w in self.unit_evidence.split("、") if w]

    @property
    def category_words(self) -> list[str]:
        return [w for w in self.category_evidence.split("、") if w]

    @property
    def flag_list(self) -> list[str]:
        return [f for f in self.flags.split(",") if f]

    @property
    def is_open(self) -> bool:
        """Something suggested that staff have not decided on yet."""
        return (self.unit_id is not None and self.unit_decision is None) or (
            self.category_id is not None and self.category_decision is None
        )


class TriageSetting(db.Model):
    """Admin settings of triage, one row per key (e.g. the auto-apply confidence)."""

    __tablename__ = "triage_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SavedView(db.Model):
    """A staff member's named queue filter (the query string of the queue page)."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplyTemplate(db.Model):
    """A reply to the reporter staff start from; admins edit the text. `code` is fixed."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(default=0)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReplyState(enum.Enum):
    queued = "queued"
    sent = "sent"

    @property
    def label(self) -> str:
        return str(REPLY_STATE_LABELS[self])


REPLY_STATE_LABELS = {ReplyState.queued: _l("Queued"), ReplyState.sent: _l("Sent")}


class StaffReply(db.Model):
    """A mail to the reporter written from an item. Committed first with its own Message-ID;
    an rq job sends it and stores it in the item's thread."""

    __tablename__ = "staff_replies"
    __table_args__ = (Index("ix_staff_replies_item", "item_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    template_code: Mapped[str | None] = mapped_column(String(32))
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    state: Mapped[ReplyState] = mapped_column(enum_column(ReplyState, "reply_state"), default=ReplyState.queued)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    item: Mapped[FeedbackItem] = relationship()
    author: Mapped[User | None] = relationship()
