"""What the committee does with each drawn unit in a cycle: the implementation plan (实施方案) in
versions, the unit's self-inspection report (自查报告), the supervision group (民主监督小组) and
its meetings (座谈会, 现场考察) with their photos and findings."""

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.auth.models import User
from intake.core.models import enum_column
from intake.extensions import db
from intake.timeutil import utcnow

if TYPE_CHECKING:
    from intake.feedback.models import FeedbackItem
    from intake.rectification.models.tasks import RectificationTask


class ImplementationPlan(db.Model):
    """The plan of one drawn unit in one cycle; its text lives in versions (every save is one)."""

    __tablename__ = "program_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_unit_id: Mapped[int] = mapped_column(ForeignKey("cycle_units.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    cycle_unit: Mapped["CycleUnit"] = relationship()  # noqa: F821 - intake.program.models
    versions: Mapped[list["PlanVersion"]] = relationship(back_populates="plan", order_by="PlanVersion.number")

    @property
    def latest(self) -> "PlanVersion | None":
        return self.versions[-1] if self.versions else None

    @property
    def approved(self) -> "PlanVersion | None":
        """The version in force: the newest approved one (a later draft does not replace it)."""
        return next((v for v in reversed(self.versions) if v.approved_at is not None), None)

    @property
    def has_pending_draft(self) -> bool:
        return self.latest is not None and self.latest.approved_at is None


class PlanVersion(db.Model):
    """One saved text of a plan. Never edited once written: a change is a new version, and an
    approval only stamps the version it approves."""

    __tablename__ = "program_plan_versions"
    __table_args__ = (
        UniqueConstraint("plan_id", "number", name="uq_program_plan_versions_plan_number"),
        CheckConstraint("(approved_at IS NULL) = (approved_by_id IS NULL)", name="approval_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("program_plans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    guiding_idea: Mapped[str] = mapped_column(Text)  # 指导思想
    principles: Mapped[str] = mapped_column(Text)  # 监督原则
    # 领导机构: [{"name": "王某某", "role": "组长", "title": "县政协副主席"}, ...]
    leading_group: Mapped[list] = mapped_column(JSON)
    leading_office: Mapped[str] = mapped_column(Text, default="")  # the office under the group
    main_content: Mapped[str] = mapped_column(Text)  # 主要内容
    methods: Mapped[str] = mapped_column(Text)  # 监督方式
    steps: Mapped[str] = mapped_column(Text)  # 实施步骤
    # Timetable, copied from the cycle's stages when the version is written, so an approved
    # plan keeps the dates it was approved with: [{"stage": "...", "due_on": "2027-03-31", "owner": "..."}]
    timetable: Mapped[list] = mapped_column(JSON)
    requirements: Mapped[str] = mapped_column(Text)  # 工作要求
    change_note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    plan: Mapped[ImplementationPlan] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class SelfInspectionReport(db.Model):
    """A self-inspection report (自查报告) the unit's liaison uploaded for a cycle."""

    __tablename__ = "program_self_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_unit_id: Mapped[int] = mapped_column(ForeignKey("cycle_units.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    stored_name: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle_unit: Mapped["CycleUnit"] = relationship()  # noqa: F821
    uploaded_by: Mapped[User | None] = relationship()


class SupervisionGroup(db.Model):
    """The supervision group (民主监督小组) of members for one drawn unit."""

    __tablename__ = "program_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_unit_id: Mapped[int] = mapped_column(ForeignKey("cycle_units.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle_unit: Mapped["CycleUnit"] = relationship()  # noqa: F821
    members: Mapped[list["GroupMember"]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupMember.id"
    )

    @property
    def leader(self) -> User | None:
        return next((m.user for m in self.members if m.is_leader), None)


class GroupMember(db.Model):
    __tablename__ = "program_group_members"
    __table_args__ = (UniqueConstraint("group_id", "user_id", name="uq_program_group_members_group_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("program_groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)  # 组长

    group: Mapped[SupervisionGroup] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class MeetingKind(enum.Enum):
    symposium = "symposium"  # 座谈会
    inspection = "inspection"  # 现场考察

    @property
    def label(self) -> str:
        return str(MEETING_KIND_LABELS[self])


MEETING_KIND_LABELS = {
    MeetingKind.symposium: _l("Symposium (座谈会)"),
    MeetingKind.inspection: _l("On-site inspection (现场考察)"),
}


class Meeting(db.Model):
    """A symposium or an on-site inspection held about a drawn unit."""

    __tablename__ = "program_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_unit_id: Mapped[int] = mapped_column(ForeignKey("cycle_units.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind, "meeting_kind"))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    participants: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle_unit: Mapped["CycleUnit"] = relationship()  # noqa: F821
    created_by: Mapped[User | None] = relationship()
    photos: Mapped[list["MeetingPhoto"]] = relationship(back_populates="meeting", order_by="MeetingPhoto.id")
    findings: Mapped[list["MeetingFinding"]] = relationship(back_populates="meeting", order_by="MeetingFinding.id")


class MeetingPhoto(db.Model):
    __tablename__ = "program_meeting_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("program_meetings.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="photos")


class MeetingFinding(db.Model):
    """A problem found at a meeting; it becomes a feedback item (明察), or goes straight into the
    unit's rectification tasks (then it has both: the item the task is built on)."""

    __tablename__ = "program_meeting_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("program_meetings.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_items.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_tasks.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="findings")
    # For the codes people know them by (JD-2026-000001, ZG-2026-001), never the row ids.
    item: Mapped["FeedbackItem | None"] = relationship(viewonly=True)
    task: Mapped["RectificationTask | None"] = relationship(viewonly=True)
