"""The counted results of a session, as staff, members, notices and plaques read them."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from intake.appraisal.models import AppraisalSession, Grade, SessionState, UnitResult
from intake.appraisal.services import HIDDEN_MESSAGE, ResultsHidden
from intake.appraisal.services.voting import Turnout, turnout
from intake.extensions import db
from intake.printing.charts import stacked_bar_chart


@dataclass
class ResultsView:
    session: AppraisalSession
    rows: list[UnitResult]
    turnout: Turnout
    rule: str
    quorum: str
    chart_svg: str


def rule_text(session: AppraisalSession) -> str:
    return _(
        "满意 when 满意 exceeds %(s)d%% of the valid ballots; otherwise 基本满意 when 满意 and 基本满意 together exceed %(b)d%%; otherwise 不满意. Abstentions are not valid ballots.",
        s=session.satisfied_percent,
        b=session.basic_percent,
    )


def quorum_text(session: AppraisalSession) -> str:
    return _(
        "Quorum: at least %(n)d/%(d)d of the roll must vote.", n=session.quorum_numerator, d=session.quorum_denominator
    )


def grades_chart(rows: list[UnitResult], title: str | None = None) -> str:
    return stacked_bar_chart(
        title or _("Ballots per unit"),
        [r.cycle_unit.unit.short_name or r.cycle_unit.unit.display_name for r in rows],
        {
            Grade.satisfied.label: [r.satisfied for r in rows],
            Grade.basic.label: [r.basic for r in rows],
            Grade.dissatisfied.label: [r.dissatisfied for r in rows],
            _("Abstained"): [r.abstained for r in rows],
        },
        y_title=_("Ballots"),
    )


def results_view(session: AppraisalSession) -> ResultsView:
    """Per unit: counts per grade, turnout, the grade by the session's rule. ResultsHidden
    (403) for everyone until the tellers have counted (which needs the close and the quorum)."""
    if session.state is not SessionState.counted:
        raise ResultsHidden(HIDDEN_MESSAGE)
    rows = list(session.results)
    return ResultsView(
        session=session,
        rows=rows,
        turnout=turnout(session),
        rule=rule_text(session),
        quorum=quorum_text(session),
        chart_svg=grades_chart(rows),
    )


def latest_result(cycle_unit_id: int) -> UnitResult | None:
    """The unit's result in the latest counted session of its cycle."""
    return db.session.scalars(
        select(UnitResult)
        .join(AppraisalSession)
        .where(UnitResult.cycle_unit_id == cycle_unit_id, AppraisalSession.state == SessionState.counted)
        .order_by(AppraisalSession.counted_at.desc(), AppraisalSession.id.desc())
        .limit(1)
    ).first()
