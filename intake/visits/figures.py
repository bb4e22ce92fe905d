"""The year's checklist figures (average wait, trips, share of promises kept, …) per unit or
for all, and the findings handed to a unit: what staff read and the appraisal uses."""

from dataclasses import dataclass

from sqlalchemy import select

from intake.auth.models import User
from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.program.models import SupervisionCycle
from intake.reference.models import Unit
from intake.visits.models import Visit, VisitFinding


@dataclass(frozen=True)
class VisitFigures:
    """A year's visits summed up; None where no visit answered the question."""

    visits: int
    incognito: int  # 暗访
    open_visits: int  # 明察
    average_wait_minutes: float | None
    average_trips: float | None
    promise_kept_share: float | None  # 0..1 of the visits that answered
    improper_request_share: float | None
    fees_posted_share: float | None
    average_attitude: float | None


def _id(value) -> int | None:
    return value if value is None or isinstance(value, int) else value.id


def _average(values: list) -> float | None:
    return sum(values) / len(values) if values else None


def figures_of(visits: list[Visit]) -> VisitFigures:
    def answered(key: str) -> list:
        return [v.answers[key] for v in visits if v.answers.get(key) is not None]

    def share(key: str) -> float | None:
        values = answered(key)
        return sum(1 for x in values if x is True) / len(values) if values else None

    incognito = sum(1 for v in visits if v.incognito)
    return VisitFigures(
        visits=len(visits),
        incognito=incognito,
        open_visits=len(visits) - incognito,
        average_wait_minutes=_average(answered("wait_minutes")),
        average_trips=_average(answered("trips")),
        promise_kept_share=share("promise_kept"),
        improper_request_share=share("improper_request"),
        fees_posted_share=share("fees_posted"),
        average_attitude=_average(answered("attitude")),
    )


def visits_of(
    cycle: SupervisionCycle | int, unit: Unit | int | None = None, member_id: int | None = None
) -> list[Visit]:
    query = select(Visit).where(Visit.cycle_id == _id(cycle)).order_by(Visit.visited_at.desc(), Visit.id.desc())
    if unit is not None:
        query = query.where(Visit.unit_id == _id(unit))
    if member_id is not None:
        query = query.where(Visit.member_id == member_id)
    return list(db.session.scalars(query))


def year_figures(cycle: SupervisionCycle | int, unit: Unit | int | None = None) -> VisitFigures:
    """The figures of a year's visits, of one unit or of all (a cycle or unit, or their ids)."""
    return figures_of(visits_of(cycle, unit))


def findings_for(cycle: SupervisionCycle | int, unit: Unit | int) -> list[tuple[Visit, str, FeedbackItem | None]]:
    """The findings of a year's visits to a unit, oldest visit first, with the item each became:
    the opinions handed to the unit at 通报 are curated from these."""
    rows = db.session.execute(
        select(Visit, VisitFinding)
        .join(VisitFinding, VisitFinding.visit_id == Visit.id)
        .where(Visit.cycle_id == _id(cycle), Visit.unit_id == _id(unit))
        .order_by(Visit.visited_at, Visit.id, VisitFinding.id)
    ).all()
    return [(visit, finding.text, finding.item) for visit, finding in rows]


def _grouped(cycle, key) -> list[list[Visit]]:
    groups: dict[int, list[Visit]] = {}
    for visit in visits_of(cycle):
        groups.setdefault(key(visit), []).append(visit)
    return list(groups.values())


def per_unit(cycle: SupervisionCycle | int) -> list[tuple[Unit, VisitFigures]]:
    """Each visited unit of the year with its figures, most visited first."""
    rows = [(visits[0].unit, figures_of(visits)) for visits in _grouped(cycle, lambda v: v.unit_id)]
    return sorted(rows, key=lambda row: (-row[1].visits, row[0].sort_order, row[0].id))


def per_member(cycle: SupervisionCycle | int) -> list[tuple[User, VisitFigures]]:
    """Each member who visited in the year with their figures, most visits first."""
    rows = [(visits[0].member, figures_of(visits)) for visits in _grouped(cycle, lambda v: v.member_id)]
    return sorted(rows, key=lambda row: (-row[1].visits, row[0].display_name))
