"""Write operations and queries of the annual program: cycles and their stages, the lottery's
commitment and draw, and which units are under listed supervision (挂牌监督) in a year.

Services take plain values, flush, and leave the commit to the route or command."""

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from intake.extensions import db
from intake.program import lottery
from intake.program.models import (
    CycleStage,
    CycleState,
    CycleUnit,
    LotteryCommitment,
    LotteryDraw,
    SelectionMethod,
    StageKind,
    StageState,
    SupervisionCycle,
)
from intake.rectification.workdays import current_calendar
from intake.reference.models import Unit
from intake.timeutil import county_zone, local_today, utcnow


class ProgramError(ValueError):
    """A step the program does not allow; the message is shown to the user."""


# Default owners and due dates of a new cycle's stages: working days after the mobilisation
# meeting, roughly the county's April-to-December year.
DEFAULT_STAGES = {
    StageKind.mobilisation: ("政协办公室", 0),
    StageKind.lottery: ("政协办公室", 5),
    StageKind.plan: ("政协办公室", 15),
    StageKind.self_inspection: ("各被监督单位", 30),
    StageKind.inspection: ("民主监督小组", 90),
    StageKind.evaluation: ("政协常委会", 130),
    StageKind.notification: ("政协办公室", 140),
    StageKind.follow_up: ("民主监督小组", 170),
}


# --- cycles and stages ---------------------------------------------------------------------


def get_cycle(year: int) -> SupervisionCycle | None:
    return db.session.scalar(select(SupervisionCycle).where(SupervisionCycle.year == year))


def cycles() -> list[SupervisionCycle]:
    return list(db.session.scalars(select(SupervisionCycle).order_by(SupervisionCycle.year.desc())))


def create_cycle(year: int, starts_on: date | None = None, actor_id: int | None = None) -> SupervisionCycle:
    """A new year with its eight stages. With `starts_on` (the mobilisation meeting) each stage
    gets a due date counted in working days from it; without, the dates are left to staff."""
    if not 2000 <= year <= 2100:
        raise ProgramError(_l("The year must be between 2000 and 2100."))
    if get_cycle(year) is not None:
        raise ProgramError(_l("There is already a supervision cycle for this year."))
    if starts_on is not None and starts_on.year != year:
        raise ProgramError(_l("The mobilisation meeting must be in the cycle's year."))
    cycle = SupervisionCycle(year=year, state=CycleState.planning, created_by_id=actor_id)
    db.session.add(cycle)
    calendar = current_calendar()
    for kind in StageKind:
        owner, workdays = DEFAULT_STAGES[kind]
        due = None
        if starts_on is not None:
            due = calendar.add_workdays(starts_on, workdays, provisional_ok=True) if workdays else starts_on
        db.session.add(
            CycleStage(
                cycle=cycle, kind=kind, position=kind.position, owner=owner, due_on=due, state=StageState.pending
            )
        )
    db.session.flush()
    return cycle


def ensure_cycle(year: int) -> SupervisionCycle:
    return get_cycle(year) or create_cycle(year)


def update_stage(stage_id: int, owner: str, due_on: date | None) -> CycleStage:
    stage = db.session.get(CycleStage, stage_id)
    if stage is None:
        raise ProgramError(_l("No such stage."))
    stage.owner = (owner or "").strip()[:100]
    stage.due_on = due_on
    db.session.flush()
    return stage


def mark_stage_done(stage_id: int) -> CycleStage:
    stage = db.session.get(CycleStage, stage_id)
    if stage is None:
        raise ProgramError(_l("No such stage."))
    if stage.state is not StageState.done:
        stage.state = StageState.done
        stage.done_at = utcnow()
        if stage.kind is StageKind.follow_up:
            stage.cycle.state = CycleState.closed
        db.session.flush()
    return stage


@dataclass(frozen=True)
class StageRow:
    stage: CycleStage
    workdays_left: int | None  # working days until due; negative: late by that many
    late: bool


def timeline(cycle: SupervisionCycle, today: date | None = None) -> list[StageRow]:
    """The cycle's stages in order, each with the working days left (or by which it is late)."""
    today = today or local_today()
    calendar = current_calendar()
    rows = []
    for stage in cycle.stages:
        left = None
        if stage.due_on is not None and stage.state is StageState.pending:
            left = calendar.workdays_between(today, stage.due_on, provisional_ok=True)
        rows.append(StageRow(stage=stage, workdays_left=left, late=stage.is_late(today)))
    return rows


def late_stages(today: date | None = None) -> list[CycleStage]:
    """Pending stages past their due date, of every cycle not closed: what the dashboard shows."""
    today = today or local_today()
    return list(
        db.session.scalars(
            select(CycleStage)
            .join(SupervisionCycle)
            .where(
                SupervisionCycle.state != CycleState.closed,
                CycleStage.state == StageState.pending,
                CycleStage.due_on < today,
            )
            .order_by(CycleStage.due_on, CycleStage.position)
        )
    )


# --- who is supervised ------------------------------------------------------------------------


def _latest_year_with_units():
    return select(func.max(SupervisionCycle.year)).join(CycleUnit).scalar_subquery()


def supervised_unit_ids_query(year: int | None = None):
    """Ids of the units listed in `year`'s cycle; without a year, in the latest cycle that
    lists any (so last year's units stay shown until this year's draw)."""
    year_clause = SupervisionCycle.year == (year if year is not None else _latest_year_with_units())
    return select(CycleUnit.unit_id).join(SupervisionCycle).where(year_clause)


def supervised_units(year: int | None = None) -> list[Unit]:
    return list(
        db.session.scalars(
            select(Unit).where(Unit.id.in_(supervised_unit_ids_query(year))).order_by(Unit.sort_order, Unit.id)
        )
    )


def supervised_first():
    """An ORDER BY term putting the units under listed supervision first."""
    return case((Unit.id.in_(supervised_unit_ids_query()), 0), else_=1)


def seed_listed_units(year: int) -> int:
    """The seed's demo supervised units (县政务服务管理局, 县工科局) listed by hand in `year`'s
    cycle, unless that cycle lists units already (a lottery, or staff). Returns how many."""
    from intake.reference.seed_data import UNITS

    cycle = ensure_cycle(year)
    if db.session.scalar(select(CycleUnit.id).where(CycleUnit.cycle_id == cycle.id).limit(1)) is not None:
        return 0
    codes = [row["code"] for row in UNITS if row.get("supervised")]
    units = db.session.scalars(select(Unit).where(Unit.code.in_(codes))).all()
    for unit in units:
        list_unit(year, unit.id)
    return len(units)


def list_unit(year: int, unit_id: int) -> CycleUnit:
    """List a unit by hand in a year (years before intake, or the seed's demo units)."""
    cycle = ensure_cycle(year)
    row = db.session.scalar(select(CycleUnit).where(CycleUnit.cycle_id == cycle.id, CycleUnit.unit_id == unit_id))
    if row is None:
        row = CycleUnit(cycle=cycle, unit_id=unit_id, selection=SelectionMethod.manual)
        db.session.add(row)
        if cycle.state is CycleState.planning:
            cycle.state = CycleState.running
        db.session.flush()
    return row


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The county's calendar year as naive UTC instants [start, end), as the database stores."""
    tz = county_zone()

    def utc(d: date) -> datetime:
        return datetime.combine(d, time(), tz).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    return utc(date(year, 1, 1)), utc(date(year + 1, 1, 1))


def cycle_items_query(year: int):
    """Feedback items of the cycle: received during the year (county time) about a unit listed
    that year. Derived, not stored: an item re-routed to another unit, or one that came before
    the April draw, falls in or out of the year's picture without anyone updating a link."""
    from intake.feedback.models import FeedbackItem

    start, end = year_bounds(year)
    return select(FeedbackItem).where(
        FeedbackItem.unit_id.in_(supervised_unit_ids_query(year)),
        FeedbackItem.received_at >= start,
        FeedbackItem.received_at < end,
    )


def cycle_tasks_query(year: int):
    """Rectification tasks of the cycle: routed during the year to a unit listed that year."""
    from intake.rectification.models.tasks import RectificationTask

    start, end = year_bounds(year)
    return select(RectificationTask).where(
        RectificationTask.unit_id.in_(supervised_unit_ids_query(year)),
        RectificationTask.created_at >= start,
        RectificationTask.created_at < end,
    )


def cycle_counts(year: int) -> tuple[int, int]:
    items = db.session.scalar(select(func.count()).select_from(cycle_items_query(year).subquery()))
    tasks = db.session.scalar(select(func.count()).select_from(cycle_tasks_query(year).subquery()))
    return items, tasks


# --- the lottery (抽签) ------------------------------------------------------------------------


def eligible_units() -> list[Unit]:
    """Active units that may be drawn, by code: the default pool."""
    return list(
        db.session.scalars(
            select(Unit).where(Unit.is_active.is_(True), Unit.lottery_eligible.is_(True)).order_by(Unit.code)
        )
    )


def _cycle_or_error(year: int) -> SupervisionCycle:
    cycle = get_cycle(year)
    if cycle is None:
        raise ProgramError(_l("There is no supervision cycle for this year."))
    return cycle


def commit_draw(
    year: int,
    count: int,
    beacon_source: str,
    beacon_format: str = "",
    exclusions: dict[str, str] | None = None,
    correction_reason: str | None = None,
    actor_id: int | None = None,
) -> LotteryCommitment:
    """Publish what will be drawn: the pool (eligible units minus exclusions, each with its
    reason), the count, the named source of the random value and its format. Sealed from then
    on; before the draw a correction is a further commitment that states its reason."""
    cycle = _cycle_or_error(year)
    if cycle.draw is not None:
        raise ProgramError(_l("The lottery of this year has been drawn; nothing about it can change."))
    previous = cycle.current_commitment
    correction_reason = (correction_reason or "").strip() or None
    if previous is not None and correction_reason is None:
        raise ProgramError(_l("A draw is already committed: a correction must state its reason."))
    beacon_source = lottery.normalise(beacon_source)
    if not beacon_source:
        raise ProgramError(_l("Name the source of the random value."))
    beacon_format = lottery.normalise(beacon_format)
    if len(beacon_format) > lottery.FORMAT_MAX_LENGTH:
        raise ProgramError(_l("The format is too long."))
    units = {u.code: u for u in eligible_units()}
    excluded = []
    for code, reason in sorted((exclusions or {}).items()):
        reason = (reason or "").strip()
        if code not in units:
            raise ProgramError(_l("%(code)s is not an active unit eligible for the lottery.", code=code))
        if not reason:
            raise ProgramError(_l("State the reason for excluding %(code)s.", code=code))
        excluded.append({"code": code, "name": units.pop(code).name, "reason": reason})
    if not 1 <= count <= len(units):
        raise ProgramError(
            _l("The number to draw must be between 1 and the size of the pool (%(size)d).", size=len(units))
        )
    pool_json = lottery.canonical_pool([{"code": u.code, "name": u.name} for u in units.values()])
    commitment = LotteryCommitment(
        cycle=cycle,
        sequence=(previous.sequence + 1) if previous else 1,
        draw_count=count,
        beacon_source=beacon_source,
        beacon_format=beacon_format,
        pool_json=pool_json,
        pool_sha256=lottery.pool_sha256(pool_json),
        exclusions_json=json.dumps(excluded, ensure_ascii=False, separators=(",", ":")),
        correction_reason=correction_reason,
        committed_by_id=actor_id,
    )
    db.session.add(commitment)
    db.session.flush()
    return commitment


def run_draw(year: int, beacon: str, actor_id: int | None = None) -> LotteryDraw:
    """Enter the random value once it is public: normalised, checked against the committed
    format, ranked by sha256-rank-v1. The first `count` units become the year's listed units."""
    cycle = _cycle_or_error(year)
    if cycle.draw is not None:
        raise ProgramError(_l("The lottery of this year has been drawn; there is no redraw."))
    commitment = cycle.current_commitment
    if commitment is None:
        raise ProgramError(_l("Commit the draw before entering the random value."))
    normalised = lottery.normalise(beacon)
    if not lottery.matches_format(normalised, commitment.beacon_format):
        raise ProgramError(_l("The value does not have the committed format."))
    scores = lottery.rank(normalised, [u["code"] for u in commitment.pool])
    selected = [row["code"] for row in scores[: commitment.draw_count]]
    draw = LotteryDraw(
        cycle=cycle,
        commitment=commitment,
        algorithm=lottery.ALGORITHM,
        beacon=normalised,
        beacon_as_entered=beacon,
        scores_json=json.dumps(scores, separators=(",", ":")),
        selected_json=json.dumps(selected, separators=(",", ":")),
        drawn_by_id=actor_id,
    )
    db.session.add(draw)
    db.session.flush()
    unit_ids = dict(db.session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(selected))).all())
    missing = [code for code in selected if code not in unit_ids]
    if missing:
        # A drawn unit whose code changed after the commitment: the record stands, the listing
        # needs a person.
        raise ProgramError(
            _l(
                "A drawn unit no longer exists under its code: %(codes)s. Ask an administrator.",
                codes=", ".join(missing),
            )
        )
    listed = set(db.session.scalars(select(CycleUnit.unit_id).where(CycleUnit.cycle_id == cycle.id)))
    for code in selected:
        if unit_ids[code] not in listed:
            db.session.add(
                CycleUnit(cycle=cycle, unit_id=unit_ids[code], selection=SelectionMethod.lottery, draw_id=draw.id)
            )
    cycle.state = CycleState.running
    for stage in cycle.stages:
        if stage.kind is StageKind.lottery and stage.state is StageState.pending:
            stage.state, stage.done_at = StageState.done, draw.drawn_at
    db.session.flush()
    return draw


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def draw_record(cycle: SupervisionCycle) -> dict:
    """The public record served as draw.json: what was committed, then what was drawn."""
    commitment = cycle.current_commitment
    if commitment is None:
        return {"year": cycle.year, "committed": False}
    record = {
        "year": cycle.year,
        "algorithm": lottery.ALGORITHM,
        "pool": commitment.pool,
        "pool_sha256": commitment.pool_sha256,
        "beacon_format": commitment.beacon_format,
        "count": commitment.draw_count,
        "beacon_source": commitment.beacon_source,
        "committed_at": _iso(commitment.committed_at),
        "exclusions": commitment.exclusions,
        # Every commitment in order, the superseded ones too: a correction shows beside the old.
        "commitments": [
            {
                "sequence": c.sequence,
                "committed_at": _iso(c.committed_at),
                "count": c.draw_count,
                "pool_sha256": c.pool_sha256,
                "beacon_source": c.beacon_source,
                "beacon_format": c.beacon_format,
                "correction_reason": c.correction_reason,
            }
            for c in cycle.commitments
        ],
    }
    if cycle.draw is not None:
        record.update(
            beacon=cycle.draw.beacon,
            drawn_at=_iso(cycle.draw.drawn_at),
            scores=cycle.draw.scores,
            selected=cycle.draw.selected,
        )
    return record
