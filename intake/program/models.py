"""The annual supervision program (挂牌监督): a cycle per year with its stages, the units drawn
for it, and the lottery (抽签) that drew them, whose public record the database keeps sealed."""

import enum
import json
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.core.models import enum_column
from intake.extensions import db
from intake.reference.models import Unit
from intake.timeutil import utcnow


class CycleState(enum.Enum):
    planning = "planning"  # created, lottery not yet drawn
    running = "running"  # units drawn, the year's work under way
    closed = "closed"  # 整改追踪 done

    @property
    def label(self) -> str:
        return str(CYCLE_STATE_LABELS[self])


CYCLE_STATE_LABELS = {
    CycleState.planning: _l("Planning"),
    CycleState.running: _l("Under way"),
    CycleState.closed: _l("Closed"),
}


class StageKind(enum.Enum):
    """The stages of a year, in their order (see docs/domain.md)."""

    mobilisation = "mobilisation"  # 动员部署
    lottery = "lottery"  # 抽签
    plan = "plan"  # 实施方案
    self_inspection = "self_inspection"  # 自查自检
    inspection = "inspection"  # 明察暗访
    evaluation = "evaluation"  # 集中评议
    notification = "notification"  # 通报 and plaques
    follow_up = "follow_up"  # 整改追踪

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self])

    @property
    def position(self) -> int:
        return list(StageKind).index(self) + 1


STAGE_LABELS = {
    StageKind.mobilisation: _l("Mobilisation meeting (动员部署)"),
    StageKind.lottery: _l("Lottery (抽签)"),
    StageKind.plan: _l("Implementation plans (实施方案)"),
    StageKind.self_inspection: _l("Self-inspection (自查自检)"),
    StageKind.inspection: _l("Open and unannounced inspection (明察暗访)"),
    StageKind.evaluation: _l("Collective evaluation (集中评议)"),
    StageKind.notification: _l("Notification and plaques (通报)"),
    StageKind.follow_up: _l("Rectification follow-up (整改追踪)"),
}


class StageState(enum.Enum):
    pending = "pending"
    done = "done"

    @property
    def label(self) -> str:
        return str(STAGE_STATE_LABELS[self])


STAGE_STATE_LABELS = {StageState.pending: _l("Pending"), StageState.done: _l("Done")}


class SelectionMethod(enum.Enum):
    """How a unit came to be supervised in a cycle."""

    lottery = "lottery"  # drawn by the cycle's lottery
    manual = "manual"  # listed by staff (years before intake, or a committee decision)

    @property
    def label(self) -> str:
        return str(SELECTION_LABELS[self])


SELECTION_LABELS = {SelectionMethod.lottery: _l("Drawn by lot"), SelectionMethod.manual: _l("Listed by staff")}


class SupervisionCycle(db.Model):
    """One year of democratic supervision (监督年度)."""

    __tablename__ = "supervision_cycles"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    state: Mapped[CycleState] = mapped_column(enum_column(CycleState, "cycle_state"), default=CycleState.planning)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    stages: Mapped[list["CycleStage"]] = relationship(back_populates="cycle", order_by="CycleStage.position")
    units: Mapped[list["CycleUnit"]] = relationship(back_populates="cycle", order_by="CycleUnit.id")
    commitments: Mapped[list["LotteryCommitment"]] = relationship(
        back_populates="cycle", order_by="LotteryCommitment.sequence"
    )
    draw: Mapped["LotteryDraw | None"] = relationship(back_populates="cycle")

    @property
    def current_commitment(self) -> "LotteryCommitment | None":
        return self.commitments[-1] if self.commitments else None

    def __repr__(self) -> str:
        return f"<SupervisionCycle {self.year} {self.state.value}>"


class CycleStage(db.Model):
    """A stage of a cycle: who owns it, when it is due, whether it is done."""

    __tablename__ = "cycle_stages"
    __table_args__ = (
        UniqueConstraint("cycle_id", "kind", name="uq_cycle_stages_cycle_kind"),
        CheckConstraint("(state = 'done') = (done_at IS NOT NULL)", name="done_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("supervision_cycles.id", ondelete="CASCADE"))
    kind: Mapped[StageKind] = mapped_column(enum_column(StageKind, "stage_kind"))
    position: Mapped[int] = mapped_column(Integer)
    # Who answers for the stage, as the committee names it (政协办公室, 各被监督单位, 民主监督小组).
    owner: Mapped[str] = mapped_column(String(100), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[StageState] = mapped_column(enum_column(StageState, "stage_state"), default=StageState.pending)
    done_at: Mapped[datetime | None]

    cycle: Mapped[SupervisionCycle] = relationship(back_populates="stages")

    def is_late(self, today: date) -> bool:
        return self.state is StageState.pending and self.due_on is not None and self.due_on < today


class CycleUnit(db.Model):
    """A unit under listed supervision (挂牌监督单位) in a cycle."""

    __tablename__ = "cycle_units"
    __table_args__ = (UniqueConstraint("cycle_id", "unit_id", name="uq_cycle_units_cycle_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("supervision_cycles.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    selection: Mapped[SelectionMethod] = mapped_column(enum_column(SelectionMethod, "selection_method"))
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("lottery_draws.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle: Mapped[SupervisionCycle] = relationship(back_populates="units")
    unit: Mapped[Unit] = relationship()


class LotteryCommitment(db.Model):
    """What was published before the random value existed. Sealed: the database refuses any
    UPDATE or DELETE (triggers of migration 0009). A correction is a new row with the next
    `sequence` and its reason; the draw always uses the cycle's latest commitment."""

    __tablename__ = "lottery_commitments"
    __table_args__ = (
        UniqueConstraint("cycle_id", "sequence", name="uq_lottery_commitments_cycle_sequence"),
        CheckConstraint("draw_count >= 1", name="count_positive"),
        CheckConstraint("sequence = 1 OR correction_reason IS NOT NULL", name="correction_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("supervision_cycles.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    draw_count: Mapped[int] = mapped_column(Integer)
    beacon_source: Mapped[str] = mapped_column(Text)
    # A template: N is one digit, every other character stands for itself; empty: any value.
    beacon_format: Mapped[str] = mapped_column(String(100), default="")
    # The pool exactly as hashed: canonical JSON of [{"code","name"}] sorted by code.
    pool_json: Mapped[str] = mapped_column(Text)
    pool_sha256: Mapped[str] = mapped_column(String(64))
    # [{"code","name","reason"}]: active eligible units left out of the pool, and why.
    exclusions_json: Mapped[str] = mapped_column(Text, default="[]")
    correction_reason: Mapped[str | None] = mapped_column(Text)
    committed_at: Mapped[datetime] = mapped_column(default=utcnow)
    committed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    cycle: Mapped[SupervisionCycle] = relationship(back_populates="commitments")

    @property
    def pool(self) -> list[dict]:
        return json.loads(self.pool_json)

    @property
    def exclusions(self) -> list[dict]:
        return json.loads(self.exclusions_json)


class LotteryDraw(db.Model):
    """The draw of a cycle: one per cycle (no redraw), sealed like its commitment."""

    __tablename__ = "lottery_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("supervision_cycles.id"), unique=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("lottery_commitments.id"), unique=True)
    algorithm: Mapped[str] = mapped_column(String(32))
    beacon: Mapped[str] = mapped_column(Text)  # normalised, as hashed
    beacon_as_entered: Mapped[str] = mapped_column(Text)
    # [{"code","score"}] in rank order, and the selected codes.
    scores_json: Mapped[str] = mapped_column(Text)
    selected_json: Mapped[str] = mapped_column(Text)
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    cycle: Mapped[SupervisionCycle] = relationship(back_populates="draw")
    commitment: Mapped[LotteryCommitment] = relationship()

    @property
    def scores(self) -> list[dict]:
        return json.loads(self.scores_json)

    @property
    def selected(self) -> list[str]:
        return json.loads(self.selected_json)
