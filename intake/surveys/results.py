"""What a questionnaire's answers add up to: per question the counts and percentages, the
average of ratings and numbers, the free-text answers, charts as SVG (intake/printing/charts.py)
for a page or a printed PDF, and the Excel file of every answer. `unit_results` and
`free_text_answers` serve the year-end appraisal (集中评议) and the opinions handed to a unit."""

import io
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from intake.extensions import db
from intake.printing.charts import bar_chart, pie_chart
from intake.program.models import SupervisionCycle
from intake.reference.models import Unit
from intake.surveys.models import RATING_MAX, RATING_MIN, Answer, Question, QuestionKind, Questionnaire, Response


@dataclass
class Row:
    label: str
    count: int
    percent: float


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0  # how many responses answered it
    rows: list[Row] = field(default_factory=list)
    average: float | None = None
    texts: list[Answer] = field(default_factory=list)

    def bar_svg(self) -> str:
        return bar_chart(
            self.question.label, [r.label for r in self.rows], [r.count for r in self.rows], series=_("Answers")
        )

    def pie_svg(self) -> str:
        return pie_chart(self.question.label, [r.label for r in self.rows], [r.count for r in self.rows])

    @property
    def has_chart(self) -> bool:
        return self.question.kind.can_be_condition and self.answered > 0

    @property
    def has_pie(self) -> bool:
        # The slices of a multiple choice overlap: a pie would lie about them.
        return self.has_chart and self.question.kind is not QuestionKind.multiple


@dataclass
class QuestionnaireResult:
    questionnaire: Questionnaire
    responses: int
    questions: list[QuestionResult]


def _answers(q: Questionnaire, date_from: date | None, date_to: date | None) -> tuple[int, list[Answer]]:
    responses = select(Response.id).where(Response.questionnaire_id == q.id)
    if date_from:
        responses = responses.where(Response.answered_on >= date_from)
    if date_to:
        responses = responses.where(Response.answered_on <= date_to)
    count = db.session.scalar(select(func.count()).select_from(responses.subquery()))
    # The day of each free-text answer is shown beside it: loaded with the answers, not one by one.
    answers = db.session.scalars(
        select(Answer).where(Answer.response_id.in_(responses)).options(selectinload(Answer.response))
    ).all()
    return count, list(answers)


def _percent(count: int, total: int) -> float:
    return round(100.0 * count / total, 1) if total else 0.0


def _result(question: Question, answers: list[Answer], search: str) -> QuestionResult:
    result = QuestionResult(question, answered=len({a.response_id for a in answers}))
    kind = question.kind
    if kind.has_choices:
        counts = {c.id: 0 for c in question.choices}
        for a in answers:
            counts[a.choice_id] = counts.get(a.choice_id, 0) + 1
        result.rows = [Row(c.label, counts[c.id], _percent(counts[c.id], result.answered)) for c in question.choices]
    elif kind is QuestionKind.rating:
        counts = {n: 0 for n in range(RATING_MIN, RATING_MAX + 1)}
        for a in answers:
            counts[int(a.number_value)] = counts.get(int(a.number_value), 0) + 1
        result.rows = [Row(str(n), c, _percent(c, result.answered)) for n, c in counts.items()]
    if kind in (QuestionKind.rating, QuestionKind.number) and answers:
        result.average = round(sum(a.number_value for a in answers) / len(answers), 2)
    if kind is QuestionKind.text:
        needle = (search or "").strip().lower()
        result.texts = sorted(
            (a for a in answers if needle in a.text_value.lower()), key=lambda a: (a.response.answered_on, a.id)
        )
    return result


def summarize(
    q: Questionnaire, date_from: date | None = None, date_to: date | None = None, search: str = ""
) -> QuestionnaireResult:
    """Every question's result over the responses of the date range (both days included); the
    free-text answers narrowed to those containing `search`."""
    count, answers = _answers(q, date_from, date_to)
    by_question: dict[int, list[Answer]] = {}
    for a in answers:
        by_question.setdefault(a.question_id, []).append(a)
    return QuestionnaireResult(
        q, count, [_result(question, by_question.get(question.id, []), search) for question in q.questions]
    )


def _cell(question: Question, answers: list[Answer]) -> str | float | None:
    if not answers:
        return None
    if question.kind.has_choices:
        return "；".join(a.choice.label for a in sorted(answers, key=lambda a: a.choice.position))
    if question.kind in (QuestionKind.rating, QuestionKind.number):
        value = answers[0].number_value
        return int(value) if value == int(value) else value
    return answers[0].text_value


def answers_xlsx(q: Questionnaire) -> bytes:
    """One row per response, one column per question (a multiple choice's answers joined by ；)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Answers")
    sheet.append([_("Date")] + [f"{question.position}. {question.label}" for question in q.questions])
    responses = db.session.scalars(
        select(Response)
        .where(Response.questionnaire_id == q.id)
        .order_by(Response.answered_on, Response.id)
        .options(selectinload(Response.answers).selectinload(Answer.choice))
    )
    for response in responses:
        by_question: dict[int, list[Answer]] = {}
        for a in response.answers:
            by_question.setdefault(a.question_id, []).append(a)
        sheet.append(
            [response.answered_on] + [_cell(question, by_question.get(question.id, [])) for question in q.questions]
        )
    for cell in sheet["A"][1:]:
        cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- for the appraisal (集中评议) and the notification (通报) ------------------------------------


def _id(value) -> int:
    return value if isinstance(value, int) else value.id


def questionnaires_of_unit(cycle: SupervisionCycle | int, unit: Unit | int) -> list[Questionnaire]:
    return list(
        db.session.scalars(
            select(Questionnaire)
            .where(Questionnaire.cycle_id == _id(cycle), Questionnaire.unit_id == _id(unit))
            .order_by(Questionnaire.opens_at, Questionnaire.id)
        )
    )


def questionnaires_of_unit_any_cycle(unit_id: int | None) -> list[Questionnaire]:
    if unit_id is None:
        return []
    return list(
        db.session.scalars(
            select(Questionnaire).where(Questionnaire.unit_id == unit_id).order_by(Questionnaire.opens_at.desc())
        )
    )


def unit_results(cycle: SupervisionCycle | int, unit: Unit | int) -> list[dict]:
    """Per questionnaire of the unit in the cycle: its title, the number of answers and per
    question the counts, percentages, average and (choice and rating questions) a bar chart as
    SVG, ready for a printed PDF (WeasyPrint draws inline SVG)."""
    summaries = []
    for q in questionnaires_of_unit(cycle, unit):
        result = summarize(q)
        summaries.append(
            {
                "title": q.title,
                "answers": result.responses,
                "questions": [
                    {
                        "label": r.question.label,
                        "kind": r.question.kind.value,
                        "answered": r.answered,
                        "rows": [{"label": row.label, "count": row.count, "percent": row.percent} for row in r.rows],
                        "average": r.average,
                        "chart_svg": r.bar_svg() if r.has_chart else None,
                    }
                    for r in result.questions
                ],
            }
        )
    return summaries


def free_text_answers(cycle: SupervisionCycle | int, unit: Unit | int) -> list[dict]:
    """Every free-text answer about the unit in the cycle, to curate the opinions handed to it."""
    rows = []
    for q in questionnaires_of_unit(cycle, unit):
        for r in summarize(q).questions:
            rows.extend(
                {
                    "questionnaire": q.title,
                    "question": r.question.label,
                    "text": a.text_value,
                    "answered_on": a.response.answered_on,
                }
                for a in r.texts
            )
    return rows
