"""The audit trail of what a unit's liaison reads."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.auth.models import User
from intake.core.models import enum_column
from intake.extensions import db
from intake.timeutil import utcnow


class ReadKind(enum.Enum):
    list = "list"
    task = "task"
    evidence = "evidence"
    attachment = "attachment"
    export = "export"


class UnitReadAudit(db.Model):
    """Every read by a unit's liaison: what, which task, who, when (知情 goes both ways)."""

    __tablename__ = "rectification_unit_reads"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_tasks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReadKind] = mapped_column(enum_column(ReadKind, "read_kind"))
    object_id: Mapped[int | None] = mapped_column(Integer)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
