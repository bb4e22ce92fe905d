"""The democratic appraisal (民主评议) of a cycle: the standing committee's secret ballot
(不记名投票), its results per unit, the opinions handed over (交付意见建议) and the notices (通报).

Who voted and how they voted live in tables that share nothing a join could use: the roll says
only *whether* a member voted; a ballot row is the session, a random UUID and ciphertext sealed
with the session's public key; a receipt row is the session, a random UUID and a code. None of
the three has a time, a user or an order (tests/appraisal/test_schema.py holds their columns to
an allow-list)."""

import enum
import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.core.models import enum_column
from intake.extensions import db
from intake.program.models import CycleUnit, SupervisionCycle
from intake.timeutil import utcnow


class Grade(enum.Enum):
    satisfied = "satisfied"  # 满意
    basic = "basic"  # 基本满意
    dissatisfied = "dissatisfied"  # 不满意

    @property
    def label(self) -> str:
        return str(GRADE_LABELS[self])


GRADE_LABELS = {
    Grade.satisfied: _l("Satisfied (满意)"),
    Grade.basic: _l("Basically satisfied (基本满意)"),
    Grade.dissatisfied: _l("Dissatisfied (不满意)"),
}
# What the plaque and the notice print: the committee's own words, in every UI language.
GRADE_PLAQUE_WORDS = {Grade.satisfied: "满意", Grade.basic: "基本满意", Grade.dissatisfied: "不满意"}


class SessionState(enum.Enum):
    draft = "draft"  # roll, units and rules being set; no key yet
    open = "open"  # key pair made, voting between opens_at and closes_at
    closed = "closed"  # no more ballots; waiting for the tellers' key
    counted = "counted"  # the tellers opened the ballots; results stored

    @property
    def label(self) -> str:
        return str(SESSION_STATE_LABELS[self])


SESSION_STATE_LABELS = {
    SessionState.draft: _l("Being prepared"),
    SessionState.open: _l("Open for voting"),
    SessionState.closed: _l("Closed, not yet counted"),
    SessionState.counted: _l("Counted"),
}


class AppraisalSession(db.Model):
    """A secret ballot of the standing committee on the units of a cycle."""

    __tablename__ = "appraisal_sessions"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint("quorum_numerator >= 1 AND quorum_numerator <= quorum_denominator", name="quorum_fraction"),
        CheckConstraint("satisfied_percent BETWEEN 0 AND 99 AND basic_percent BETWEEN 0 AND 99", name="rule_percents"),
        CheckConstraint("paper_ballots >= 0", name="paper_ballots_count"),
        CheckConstraint("state = 'draft' OR public_key IS NOT NULL", name="open_has_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("supervision_cycles.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[SessionState] = mapped_column(
        enum_column(SessionState, "appraisal_session_state"), default=SessionState.draft
    )
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    # Quorum: ballots cast ≥ numerator/denominator of the roll (default two thirds).
    quorum_numerator: Mapped[int] = mapped_column(Integer, default=2)
    quorum_denominator: Mapped[int] = mapped_column(Integer, default=3)
    # Grade rule: 满意 when 满意 > satisfied_percent % of the valid ballots; otherwise 基本满意
    # when 满意 + 基本满意 > basic_percent %; otherwise 不满意 (defaults: more than half).
    satisfied_percent: Mapped[int] = mapped_column(Integer, default=50)
    basic_percent: Mapped[int] = mapped_column(Integer, default=50)
    tellers: Mapped[str] = mapped_column(Text, default="")  # 监票人、计票人, as named by the committee
    # Curve25519 public key of the session; the private key is never stored.
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    paper_ballots: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None]
    counted_at: Mapped[datetime | None]
    counted_ballots: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    cycle: Mapped[SupervisionCycle] = relationship()
    units: Mapped[list["SessionUnit"]] = relationship(
        back_populates="session", order_by="SessionUnit.position", cascade="all, delete-orphan"
    )
    results: Mapped[list["UnitResult"]] = relationship(back_populates="session", order_by="UnitResult.position")


class SessionUnit(db.Model):
    """A unit on the ballot, at its position (the ballot's plaintext is one mark per position)."""

    __tablename__ = "appraisal_session_units"
    __table_args__ = (
        UniqueConstraint("session_id", "cycle_unit_id", name="uq_appraisal_session_units_unit"),
        UniqueConstraint("session_id", "position", name="uq_appraisal_session_units_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("appraisal_sessions.id", ondelete="CASCADE"))
    cycle_unit_id: Mapped[int] = mapped_column(ForeignKey("cycle_units.id"))
    position: Mapped[int] = mapped_column(Integer)

    session: Mapped[AppraisalSession] = relationship(back_populates="units")
    cycle_unit: Mapped[CycleUnit] = relationship()


class RollEntry(db.Model):
    """A member of the voter roll: whether they voted, nothing more (no time, no ballot)."""

    __tablename__ = "appraisal_roll"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_appraisal_roll_session_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("appraisal_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    has_voted: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped["User"] = relationship()  # noqa: F821 - intake.auth.models


class SealedBallot(db.Model):
    """One ballot, sealed (NaCl SealedBox) with the session's public key. A random UUID is its
    key, so neither the key nor (on SQLite, WITHOUT ROWID) a row id tells the order of casting."""

    __tablename__ = "appraisal_ballots"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[int] = mapped_column(ForeignKey("appraisal_sessions.id", ondelete="CASCADE"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class BallotReceipt(db.Model):
    """A voter's receipt code: published after the close so each can see theirs was counted.
    Neither unit nor grade nor anything that points to a ballot."""

    __tablename__ = "appraisal_receipts"
    __table_args__ = (
        UniqueConstraint("session_id", "code", name="uq_appraisal_receipts_code"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[int] = mapped_column(ForeignKey("appraisal_sessions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))


class UnitResult(db.Model):
    """The count for one unit, stored when the tellers opened the ballots: counts only."""

    __tablename__ = "appraisal_results"
    __table_args__ = (
        UniqueConstraint("session_id", "cycle_unit_id", name="uq_appraisal_results_unit"),
        CheckConstraint("satisfied >= 0 AND basic >= 0 AND dissatisfied >= 0 AND abstained >= 0", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("appraisal_sessions.id", ondelete="CASCADE"))
    cycle_unit_id: Mapped[int] = mapped_column(ForeignKey("cycle_units.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    satisfied: Mapped[int] = mapped_column(Integer)
    basic: Mapped[int] = mapped_column(Integer)
    dissatisfied: Mapped[int] = mapped_column(Integer)
    abstained: Mapped[int] = mapped_column(Integer)
    # None: no valid ballot for the unit (every voter abstained).
    grade: Mapped[Grade | None] = mapped_column(enum_column(Grade, "appraisal_grade"))

    session: Mapped[AppraisalSession] = relationship(back_populates="results")
    cycle_unit: Mapped[CycleUnit] = relationship()

    @property
    def valid(self) -> int:
        return self.satisfied + self.basic + self.dissatisfied


class SessionEventKind(enum.Enum):
    opened = "opened"
    rekeyed = "rekeyed"
    paper_entered = "paper_entered"
    closed = "closed"
    counted = "counted"

    @property
    def label(self) -> str:
        return str(SESSION_EVENT_LABELS[self])


SESSION_EVENT_LABELS = {
    SessionEventKind.opened: _l("Opened; key pair made"),
    SessionEventKind.rekeyed: _l("Key replaced before any ballot"),
    SessionEventKind.paper_entered: _l("Paper ballots entered"),
    SessionEventKind.closed: _l("Voting closed"),
    SessionEventKind.counted: _l("Ballots opened and counted"),
}


class SessionEvent(db.Model):
    """The session's audit trail: what staff did. A member's electronic vote writes no row here
    (a timed row in the ballot's transaction would date the ballot); the process log says "a
    vote was cast in session S" instead, without who."""

    __tablename__ = "appraisal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("appraisal_sessions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SessionEventKind] = mapped_column(enum_column(SessionEventKind, "appraisal_event_kind"))
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OpinionSource(enum.Enum):
    """Where an opinion handed over to a unit came from."""

    item = "item"  # a feedback item (mailbox, web, findings)
    visit = "visit"  # an unannounced visit's finding (intake.visits)
    questionnaire = "questionnaire"  # a questionnaire's free-text answer (intake.surveys)
    staff = "staff"  # written by staff (e.g. said at the collective evaluation)

    @property
    def label(self) -> str:
        return str(OPINION_SOURCE_LABELS[self])


OPINION_SOURCE_LABELS = {
    OpinionSource.item: _l("Feedback item"),
    OpinionSource.visit: _l("Unannounced visit"),
    OpinionSource.questionnaire: _l("Questionnaire answer"),
    OpinionSource.staff: _l("Written by staff"),
}


class HandedOpinion(db.Model):
    """An opinion or suggestion handed over to the unit with the notice (交付意见建议), curated
    by staff; its text is what the unit reads (masked when curated)."""

    __tablename__ = "appraisal_opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_unit_id: Mapped[int] = mapped_column(ForeignKey("cycle_units.id", ondelete="CASCADE"), index=True)
    source: Mapped[OpinionSource] = mapped_column(enum_column(OpinionSource, "opinion_source"))
    # The source's reference: an item's id, a visit's or an answer's id; empty for staff's own.
    source_ref: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_tasks.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    cycle_unit: Mapped[CycleUnit] = relationship()
    task: Mapped["RectificationTask | None"] = relationship()  # noqa: F821


class UnitNotice(db.Model):
    """The year's notice (通报) to a unit, once issued: from then its liaison reads it."""

    __tablename__ = "appraisal_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_unit_id: Mapped[int] = mapped_column(ForeignKey("cycle_units.id", ondelete="CASCADE"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    tasks_opened_at: Mapped[datetime | None]

    cycle_unit: Mapped[CycleUnit] = relationship()
