"""Answering a questionnaire: which questions a set of answers shows (skip logic worked out on
the server, so the page needs no JavaScript), checking what was sent, and storing it with only
the day. A closed group's one-time code is used up in the same transaction as the answer."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from intake.extensions import db
from intake.surveys.models import (
    RATING_MAX,
    RATING_MIN,
    AccessCode,
    Answer,
    Question,
    QuestionKind,
    Questionnaire,
    Response,
)
from intake.surveys.services import hash_code

TEXT_MAX = 2000
NUMBER_LIMIT = 1_000_000


class CodeRejected(ValueError):
    """The one-time code is unknown or already used."""


@dataclass
class Submission:
    """What a person sent: per question name, the raw value(s) as typed (kept for the page on
    error), the checked values, and the message of each question that was not right."""

    raw: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, object] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def shown(self, question: Question) -> bool:
        """Skip logic: a question with a rule is shown only when its condition was answered."""
        source = question.show_if_question
        if source is None:
            return True
        if not self.shown(source):
            return False
        answer = self.values.get(source.name)
        if isinstance(answer, list):
            return question.show_if_value in answer
        return answer is not None and str(answer) == question.show_if_value


def _one(question: Question, raw: list[str]):
    """The checked value of one question, None when unanswered; ValueError carries the message."""
    values = [v.strip() for v in raw if v and v.strip()]
    if not values:
        return None
    if question.kind is QuestionKind.multiple:
        names = {c.name for c in question.choices}
        if not set(values) <= names:
            raise ValueError(_l("Please choose from the listed answers."))
        return [c.name for c in question.choices if c.name in values]
    value = values[0]
    if question.kind is QuestionKind.single:
        if value not in {c.name for c in question.choices}:
            raise ValueError(_l("Please choose from the listed answers."))
        return value
    if question.kind is QuestionKind.rating:
        if value not in {str(n) for n in range(RATING_MIN, RATING_MAX + 1)}:
            raise ValueError(_l("Please choose a rating from 1 to 5."))
        return int(value)
    if question.kind is QuestionKind.number:
        try:
            number = int(value.replace("，", "").replace(",", ""))
        except ValueError:
            raise ValueError(_l("Please enter a whole number, e.g. 2."))
        if number < 0:
            # What the questions count (trips, minutes waited, people) is never below zero.
            raise ValueError(_l("Please enter 0 or more."))
        if number >= NUMBER_LIMIT:
            raise ValueError(_l("This number is too large."))
        return number
    if len(value) > TEXT_MAX:
        raise ValueError(_l("At most %(n)d characters.", n=TEXT_MAX))
    return value


def read_submission(q: Questionnaire, getlist) -> Submission:
    """Check the answers in form order; a hidden question's answer is dropped, never stored, and
    a hidden required question is not required."""
    submission = Submission()
    for question in q.questions:
        submission.raw[question.name] = list(getlist("q_" + question.name))
    for question in q.questions:
        if not submission.shown(question):
            continue
        try:
            value = _one(question, submission.raw[question.name])
        except ValueError as exc:
            submission.errors[question.name] = str(exc.args[0])
            continue
        if value is None:
            if question.required:
                submission.errors[question.name] = str(_l("Please answer this question."))
            continue
        submission.values[question.name] = value
    return submission


def use_code(q: Questionnaire, code: str) -> None:
    """Mark the code used, or raise CodeRejected. One UPDATE … WHERE used = false: of two
    submissions with the same code, the second waits for the first's commit and finds it used."""
    result = db.session.execute(
        update(AccessCode)
        .where(AccessCode.questionnaire_id == q.id, AccessCode.code_hash == hash_code(code), AccessCode.used.is_(False))
        .values(used=True)
    )
    if result.rowcount != 1:
        raise CodeRejected(code)


def store_response(q: Questionnaire, submission: Submission, today: date, code: str | None = None) -> Response:
    """The checked answers as one response of `today` (the day only). With a code, the code is
    used up in the same transaction: the caller's commit writes both or neither."""
    if q.requires_code:
        use_code(q, code or "")
    response = Response(questionnaire_id=q.id, answered_on=today)
    for question in q.questions:
        value = submission.values.get(question.name)
        if value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            response.answers.append(_answer(question, one))
    db.session.add(response)
    db.session.flush()
    return response


def _answer(question: Question, value) -> Answer:
    if question.kind.has_choices:
        choice = next(c for c in question.choices if c.name == value)
        return Answer(question_id=question.id, choice_id=choice.id)
    if question.kind in (QuestionKind.rating, QuestionKind.number):
        return Answer(question_id=question.id, number_value=float(value))
    return Answer(question_id=question.id, text_value=value)
