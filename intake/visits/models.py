"""A visit (明察 or 暗访) as a member recorded it on the phone: the unit, the window, the year's
checklist answered, findings and photos; the checklist of each year; and a second, different
version of a visit that arrived under the same phone-made UUID (a conflict for staff)."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.auth.models import User
from intake.core.models import enum_column
from intake.extensions import db
from intake.program.models import SupervisionCycle
from intake.reference.models import Unit
from intake.timeutil import utcnow


class AnswerKind(enum.Enum):
    """How a checklist item is answered."""

    minutes = "minutes"  # a number of minutes (the wait)
    count = "count"  # a small count (跑了几次)
    scale = "scale"  # 1 (poor) to 5 (good)
    yesno = "yesno"
    text = "text"

    @property
    def label(self) -> str:
        return str(ANSWER_KIND_LABELS[self])


ANSWER_KIND_LABELS = {
    AnswerKind.minutes: _l("Number of minutes"),
    AnswerKind.count: _l("Count"),
    AnswerKind.scale: _l("Score 1 to 5"),
    AnswerKind.yesno: _l("Yes or no"),
    AnswerKind.text: _l("Short text"),
}


class VisitChecklist(db.Model):
    """The checklist of a year's visits, as staff edited it. `items` is a list of
    {"key", "kind", "label"}; an empty label of a default item is shown translated."""

    __tablename__ = "visit_checklists"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("supervision_cycles.id", ondelete="CASCADE"), unique=True)
    items: Mapped[list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Visit(db.Model):
    """One visit to a unit. `uuid` is made on the phone when the member starts typing, so the
    outbox can send it again and again: the first version stays, the same one changes nothing."""

    __tablename__ = "visits"
    __table_args__ = (CheckConstraint("length(uuid) = 36", name="uuid_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("supervision_cycles.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    place: Mapped[str] = mapped_column(String(200))  # the window or office
    visited_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    incognito: Mapped[bool] = mapped_column(Boolean)  # 暗访; otherwise 明察
    answers: Mapped[dict] = mapped_column(JSON)  # checklist key -> int, bool or str
    notes: Mapped[str] = mapped_column(Text, default="")
    # sha256 of what was sent (fields and photo bytes): the same resend is recognised.
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle: Mapped[SupervisionCycle] = relationship()
    unit: Mapped[Unit] = relationship()
    member: Mapped[User] = relationship()
    photos: Mapped[list["VisitPhoto"]] = relationship(back_populates="visit", order_by="VisitPhoto.id")
    findings: Mapped[list["VisitFinding"]] = relationship(back_populates="visit", order_by="VisitFinding.id")
    conflicts: Mapped[list["VisitConflict"]] = relationship(
        back_populates="visit", order_by="VisitConflict.id", foreign_keys="VisitConflict.visit_id"
    )

    @property
    def kind_label(self) -> str:
        return str(_l("Unannounced visit (暗访)") if self.incognito else _l("Open visit (明察)"))


class VisitPhoto(db.Model):
    """A photo of a visit, re-encoded on the server so no EXIF (place, phone) is kept."""

    __tablename__ = "visit_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    visit: Mapped[Visit] = relationship(back_populates="photos")


class VisitFinding(db.Model):
    """A problem found on a visit; it became a feedback item of the unit (source 暗访 or 明察)."""

    __tablename__ = "visit_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_items.id"))

    visit: Mapped[Visit] = relationship(back_populates="findings")
    item: Mapped["FeedbackItem | None"] = relationship()  # noqa: F821 - intake.feedback.models


class ConflictResolution(enum.Enum):
    kept_first = "kept_first"  # the second version is dropped
    added_as_new = "added_as_new"  # the second version became a visit of its own

    @property
    def label(self) -> str:
        return str(RESOLUTION_LABELS[self])


RESOLUTION_LABELS = {
    ConflictResolution.kept_first: _l("Kept the first version"),
    ConflictResolution.added_as_new: _l("Recorded the second version as a new visit"),
}


class VisitConflict(db.Model):
    """A different version of a stored visit sent under the same UUID. The first stays; this one
    waits for staff. `payload` holds its fields, `photos` its stored files."""

    __tablename__ = "visit_conflicts"
    __table_args__ = (CheckConstraint("(resolution IS NULL) = (resolved_at IS NULL)", name="resolution_complete"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    photos: Mapped[list] = mapped_column(JSON)  # [{"stored_name", "original_name", "size", "sha256"}]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolution: Mapped[ConflictResolution | None] = mapped_column(
        enum_column(ConflictResolution, "conflict_resolution")
    )
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    new_visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))

    visit: Mapped[Visit] = relationship(back_populates="conflicts", foreign_keys=[visit_id])
    new_visit: Mapped[Visit | None] = relationship(foreign_keys=[new_visit_id])
