"""The year's facts of a supervised unit, gathered for the members (知情明政), the results and
the notice (通报). Visits (intake.visits) and questionnaires (intake.surveys) are built beside
this package; their figures come in at the two functions below, and every page and document
shows their sections only when they return something."""

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.program.models import CycleUnit, SupervisionCycle
from intake.program.services import cycle_items_query, cycle_tasks_query
from intake.rectification.models.tasks import RectificationTask
from intake.rectification.services.figures_per_unit import UnitFigures, unit_figures

# --- visits (intake.visits) and questionnaires (intake.surveys) ----------------------------------


def visit_figures(cycle: SupervisionCycle, cycle_unit: CycleUnit):
    """The year's visits (明察暗访) of the unit: a VisitFigures (intake.visits), or None when
    no member visited it."""
    from intake.visits.services import year_figures

    figures = year_figures(cycle, cycle_unit.unit_id)
    return figures if figures.visits else None


def questionnaire_results(cycle: SupervisionCycle, cycle_unit: CycleUnit):
    """The year's questionnaires about the unit (intake.surveys): per questionnaire its title,
    the number of answers and a chart per choice or rating question; None when there are none."""
    from intake.surveys.services import unit_results

    summaries = [
        {
            "title": summary["title"],
            "responses": summary["answers"],
            "questions": summary["questions"],
            "charts": [q["chart_svg"] for q in summary["questions"] if q["chart_svg"]],
        }
        for summary in unit_results(cycle, cycle_unit.unit_id)
    ]
    return summaries or None


# ------------------------------------------------------------------------------------------------


@dataclass
class UnitYearFacts:
    cycle_unit: CycleUnit
    items: list[FeedbackItem]
    tasks: list[RectificationTask]
    items_by_category: list[tuple[str, int]]
    items_by_status: list[tuple[str, int]]
    tasks_by_status: list[tuple[str, int]]
    figures: UnitFigures | None
    visits: object | None = None
    questionnaires: object | None = None
    extra: dict = field(default_factory=dict)

    @property
    def unit(self):
        return self.cycle_unit.unit


def _counted(labels) -> list[tuple[str, int]]:
    return sorted(Counter(labels).items(), key=lambda pair: (-pair[1], pair[0]))


def unit_items(cycle_unit: CycleUnit) -> list[FeedbackItem]:
    """The unit's feedback items of the year, counted as people wrote them (no auto mail)."""
    q = cycle_items_query(cycle_unit.cycle.year).where(
        FeedbackItem.unit_id == cycle_unit.unit_id, FeedbackItem.is_auto.is_(False)
    )
    return list(db.session.scalars(q.order_by(FeedbackItem.received_at)))


def unit_tasks(cycle_unit: CycleUnit) -> list[RectificationTask]:
    q = cycle_tasks_query(cycle_unit.cycle.year).where(RectificationTask.unit_id == cycle_unit.unit_id)
    return list(db.session.scalars(q.order_by(RectificationTask.created_at)))


def year_facts(cycle_unit: CycleUnit) -> UnitYearFacts:
    items = unit_items(cycle_unit)
    tasks = unit_tasks(cycle_unit)
    figures = unit_figures(cycle_unit.cycle.year, [cycle_unit.unit_id])
    return UnitYearFacts(
        cycle_unit=cycle_unit,
        items=items,
        tasks=tasks,
        items_by_category=_counted(i.category.full_name if i.category else _("Not categorised") for i in items),
        items_by_status=_counted(i.status.label for i in items),
        tasks_by_status=_counted(t.status.label for t in tasks),
        figures=figures[0] if figures else None,
        visits=visit_figures(cycle_unit.cycle, cycle_unit),
        questionnaires=questionnaire_results(cycle_unit.cycle, cycle_unit),
    )


def cycle_unit_of(year: int, unit_code: str) -> CycleUnit | None:
    from intake.reference.models import Unit

    return db.session.scalar(
        select(CycleUnit)
        .join(SupervisionCycle)
        .join(Unit, Unit.id == CycleUnit.unit_id)
        .where(SupervisionCycle.year == year, Unit.code == unit_code)
    )
