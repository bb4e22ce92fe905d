"""Write operations on questionnaires: building them (questions, choices, skip rules, the ready
template), one-time codes, publishing the results, an answer turned into an item. Services take
plain values, flush, and leave the commit to the caller. The results the appraisal prints are
`unit_results` and `free_text_answers` (intake/surveys/results.py)."""

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from intake.auth.models import Role, User
from intake.extensions import db
from intake.feedback.models import FeedbackItem, Kind, Source
from intake.feedback.services import SubmissionInput, submit_feedback
from intake.program.models import SupervisionCycle
from intake.reference.models import Unit
from intake.surveys.models import (
    RATING_MAX,
    RATING_MIN,
    AccessCode,
    Answer,
    Choice,
    Question,
    QuestionKind,
    Questionnaire,
    Response,
)
from intake.surveys.results import free_text_answers, unit_results
from intake.surveys.template import TEMPLATE_INTRO, template_questions, template_title

__all__ = ["free_text_answers", "unit_results"]

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# No 0/O, 1/I/L: a code is read off paper and typed on a phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MAX_CODES = 500


class QuestionnaireError(ValueError):
    """A definition or an operation the rules do not allow; str() is the message for the user,
    in their language."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass
class QuestionInput:
    name: str
    kind: QuestionKind
    label: str
    hint: str = ""
    required: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)  # (name, label)
    show_if: tuple[str, str] | None = None  # (earlier question's name, value)

    @classmethod
    def of(cls, question: Question) -> "QuestionInput":
        rule = (question.show_if_question.name, question.show_if_value) if question.show_if_question else None
        return cls(
            name=question.name,
            kind=question.kind,
            label=question.label,
            hint=question.hint,
            required=question.required,
            choices=[(c.name, c.label) for c in question.choices],
            show_if=rule,
        )


# --- questionnaires ----------------------------------------------------------------------------


def questionnaire(questionnaire_id: int) -> Questionnaire | None:
    return db.session.get(Questionnaire, questionnaire_id)


def by_token(token: str) -> Questionnaire | None:
    return db.session.scalar(select(Questionnaire).where(Questionnaire.token == token))


def questionnaires_of_cycle(cycle_id: int) -> list[Questionnaire]:
    return list(
        db.session.scalars(
            select(Questionnaire).where(Questionnaire.cycle_id == cycle_id).order_by(Questionnaire.opens_at.desc())
        )
    )


def response_count(questionnaire_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Response.questionnaire_id == questionnaire_id))


def _check_times(opens_at: datetime, closes_at: datetime) -> None:
    if closes_at <= opens_at:
        raise QuestionnaireError(_l("The closing time must be after the opening time."))


def create_questionnaire(
    cycle_id: int,
    unit_id: int | None,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    *,
    intro: str = "",
    requires_code: bool = False,
    from_template: bool = False,
    actor_id: int | None = None,
) -> Questionnaire:
    """A questionnaire of the cycle; `from_template` fills in the article's questions about the unit."""
    cycle = db.session.get(SupervisionCycle, cycle_id)
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if cycle is None or (unit_id and unit is None):
        raise QuestionnaireError(_l("Unknown year or unit."))
    _check_times(opens_at, closes_at)
    unit_name = unit.name if unit else ""
    title = (title or "").strip() or (template_title(unit_name, cycle.year) if from_template else "")
    if not title:
        raise QuestionnaireError(_l("A questionnaire needs a title."))
    q = Questionnaire(
        cycle_id=cycle.id,
        unit_id=unit.id if unit else None,
        title=title,
        intro=(intro or "").strip() or (TEMPLATE_INTRO if from_template else ""),
        opens_at=opens_at,
        closes_at=closes_at,
        requires_code=requires_code,
        created_by_id=actor_id,
    )
    db.session.add(q)
    db.session.flush()
    if from_template:
        replace_questions(q, [QuestionInput(**d) for d in template_questions(unit_name or "本单位")])
    return q


def update_settings(
    q: Questionnaire, title: str, intro: str, opens_at: datetime, closes_at: datetime, requires_code: bool
) -> None:
    if not (title or "").strip():
        raise QuestionnaireError(_l("A questionnaire needs a title."))
    _check_times(opens_at, closes_at)
    q.title, q.intro = title.strip(), (intro or "").strip()
    q.opens_at, q.closes_at, q.requires_code = opens_at, closes_at, requires_code
    db.session.flush()


def set_results_published(q: Questionnaire, published: bool) -> None:
    q.results_published = published
    db.session.flush()


# --- questions ---------------------------------------------------------------------------------


def _check_question(q: Questionnaire, data: QuestionInput, position: int, own_id: int | None) -> None:
    """The rules every question keeps, whoever writes it (a page, an imported sheet)."""
    if not NAME_RE.match(data.name or ""):
        raise QuestionnaireError(
            _l("“%(name)s”: a name is letters, digits and _, and does not start with a digit.", name=data.name)
        )
    if any(other.name == data.name and other.id != own_id for other in q.questions):
        raise QuestionnaireError(_l("“%(name)s”: two questions have this name.", name=data.name))
    if not (data.label or "").strip():
        raise QuestionnaireError(_l("“%(name)s”: a question needs its text.", name=data.name))
    if data.kind.has_choices:
        names = [n for n, _label in data.choices]
        if len(names) < 2:
            raise QuestionnaireError(_l("“%(name)s”: a choice question needs at least two choices.", name=data.name))
        if len(set(names)) != len(names) or not all(NAME_RE.match(n) or n.isdigit() for n in names):
            raise QuestionnaireError(
                _l("“%(name)s”: the choices need distinct names of letters, digits and _.", name=data.name)
            )
        if not all(label.strip() for _n, label in data.choices):
            raise QuestionnaireError(_l("“%(name)s”: every choice needs its text.", name=data.name))
    if data.show_if is not None:
        _check_rule(q, data.show_if, position, own_id)


def _check_rule(q: Questionnaire, rule: tuple[str, str], position: int, own_id: int | None) -> Question:
    name, value = rule
    source = q.question_named(name)
    if source is None or source.id == own_id or source.position >= position:
        raise QuestionnaireError(_l("“%(name)s”: a skip rule can only refer to an earlier question.", name=name))
    if not source.kind.can_be_condition:
        raise QuestionnaireError(
            _l("“%(name)s”: a skip rule can only refer to a choice or rating question.", name=name)
        )
    if source.kind is QuestionKind.rating:
        valid = [str(n) for n in range(RATING_MIN, RATING_MAX + 1)]
    else:
        valid = [c.name for c in source.choices]
    if value not in valid:
        raise QuestionnaireError(_l("“%(name)s”: “%(value)s” is not one of its answers.", name=name, value=value))
    return source


def _write(question: Question, data: QuestionInput) -> None:
    question.name = data.name
    question.kind = data.kind
    question.label = data.label.strip()
    question.hint = (data.hint or "").strip()
    question.required = bool(data.required)
    wanted = data.choices if data.kind.has_choices else []
    existing = {c.name: c for c in question.choices}
    # Keep the rows of choices that stay (answers point at them); drop the others.
    question.choices = [existing.get(n) or Choice(name=n) for n, _label in wanted]
    for position, (choice, (_n, label)) in enumerate(zip(question.choices, wanted), start=1):
        choice.position, choice.label = position, label.strip()
    source = question.questionnaire.question_named(data.show_if[0]) if data.show_if else None
    question.show_if_question = source
    question.show_if_value = data.show_if[1] if data.show_if else None


def _refuse_if_answered(q: Questionnaire) -> None:
    if response_count(q.id):
        raise QuestionnaireError(_l("The questionnaire has answers: its questions can no longer change."))


def add_question(q: Questionnaire, data: QuestionInput) -> Question:
    _refuse_if_answered(q)
    position = len(q.questions) + 1
    _check_question(q, data, position, None)
    question = Question(position=position)
    q.questions.append(question)
    _write(question, data)
    db.session.flush()
    return question


def update_question(question: Question, data: QuestionInput) -> None:
    q = question.questionnaire
    _refuse_if_answered(q)
    _check_question(q, data, question.position, question.id)
    dependants = [other for other in q.questions if other.show_if_question_id == question.id]
    _write(question, data)
    db.session.flush()
    for other in dependants:  # a rule on a choice that is gone would hide its question forever
        try:
            _check_rule(q, (question.name, other.show_if_value or ""), other.position, other.id)
        except QuestionnaireError:
            other.show_if_question, other.show_if_value = None, None
    db.session.flush()


def move_question(question: Question, step: int) -> None:
    """Up (-1) or down (+1) one place; a rule never ends up before the question it refers to."""
    q = question.questionnaire
    _refuse_if_answered(q)
    ordered = list(q.questions)
    i = ordered.index(question)
    j = i + step
    if not 0 <= j < len(ordered):
        return
    other = ordered[j]
    first, second = (question, other) if step > 0 else (other, question)
    if second.show_if_question_id == first.id:
        raise QuestionnaireError(_l("A question must stay after the question its skip rule refers to."))
    ordered[i], ordered[j] = ordered[j], ordered[i]
    _renumber(q, ordered)


def _renumber(q: Questionnaire, ordered: list[Question]) -> None:
    for position, question in enumerate(ordered, start=1):
        question.position = position
    q.questions.sort(key=lambda question: question.position)
    db.session.flush()


def delete_question(question: Question) -> None:
    q = question.questionnaire
    _refuse_if_answered(q)
    if any(other.show_if_question_id == question.id for other in q.questions):
        raise QuestionnaireError(_l("Another question's skip rule refers to this one; change that rule first."))
    q.questions.remove(question)
    db.session.flush()
    _renumber(q, list(q.questions))


def replace_questions(q: Questionnaire, questions: list[QuestionInput]) -> None:
    """The whole definition at once (the template, an imported sheet), checked question by question."""
    _refuse_if_answered(q)
    q.questions.clear()
    db.session.flush()
    for data in questions:
        add_question(q, data)


def import_definition(
    q: Questionnaire, questions: list[QuestionInput], title: str | None = None, intro: str | None = None
) -> None:
    """An imported sheet's questions replace the questionnaire's; its title and introduction too,
    when the sheet has them."""
    replace_questions(q, questions)
    if (title or "").strip():
        q.title = title.strip()[:200]
    if intro is not None:
        q.intro = intro.strip()
    db.session.flush()


# --- one-time codes (closed groups) -------------------------------------------------------------


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()


def generate_codes(q: Questionnaire, count: int) -> list[str]:
    """New one-time codes, shown once to be printed and handed out; only their hashes stay."""
    if not 1 <= count <= MAX_CODES:
        raise QuestionnaireError(_l("Between 1 and %(n)d codes at a time.", n=MAX_CODES))
    codes = set()
    while len(codes) < count:
        codes.add("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
    db.session.add_all(AccessCode(questionnaire_id=q.id, code_hash=hash_code(c)) for c in codes)
    db.session.flush()
    return sorted(codes)


def code_counts(questionnaire_id: int) -> tuple[int, int]:
    """(codes issued, codes used)."""
    rows = db.session.execute(
        select(AccessCode.used, func.count())
        .where(AccessCode.questionnaire_id == questionnaire_id)
        .group_by(AccessCode.used)
    ).all()
    counts = dict(rows)
    return sum(counts.values()), counts.get(True, 0)


def may_read_results(user: User, q: Questionnaire) -> bool:
    """Staff read every questionnaire's results; a liaison only their own unit's, once published."""
    if user.is_staff:
        return True
    return user.role is Role.liaison and q.unit_id is not None and user.unit_id == q.unit_id and q.results_published


# --- an answer becomes an item ------------------------------------------------------------------


def answer_to_item(answer: Answer, actor_id: int, tracking_prefix: str) -> FeedbackItem:
    """A free-text answer describing a problem becomes a feedback item of the questionnaire's
    unit (source 问卷, no reporter: nobody knows who wrote it)."""
    if answer.text_value is None:
        raise QuestionnaireError(_l("Only a free-text answer can become an item."))
    if answer.item_id is not None:
        raise QuestionnaireError(_l("This answer is already an item."))
    q = answer.question.questionnaire
    item = submit_feedback(
        SubmissionInput(
            source=Source.questionnaire,
            kind=Kind.report,
            body=answer.text_value,
            unit_id=q.unit_id,
            location=q.title,
        ),
        tracking_prefix=tracking_prefix,
        actor_id=actor_id,
    )
    answer.item_id = item.id
    db.session.flush()
    return item
