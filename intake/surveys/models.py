"""Questionnaires (调查问卷): what staff build (the questionnaire, its questions, choices and
skip rules) and what the public answers. The answer tables hold only what the results need: no
account, no address, no time finer than the day, and random ids, so neither a row nor its
position says who answered or when (tests/surveys/test_schema.py keeps them to an allow-list)."""

import enum
import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.core.models import enum_column
from intake.extensions import db
from intake.program.models import SupervisionCycle
from intake.reference.models import Unit
from intake.timeutil import utcnow

RATING_MIN, RATING_MAX = 1, 5


def random_id() -> str:
    """A row id that says nothing about when the row was written."""
    return secrets.token_hex(16)


def public_token() -> str:
    return secrets.token_urlsafe(12)


class QuestionKind(enum.Enum):
    single = "single"  # 单选
    multiple = "multiple"  # 多选
    rating = "rating"  # 评分 1–5
    number = "number"  # 数字
    text = "text"  # 文字

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])

    @property
    def has_choices(self) -> bool:
        return self in (QuestionKind.single, QuestionKind.multiple)

    @property
    def can_be_condition(self) -> bool:
        """A skip rule ("show B only if A was answered X") names a choice or a rating."""
        return self in (QuestionKind.single, QuestionKind.multiple, QuestionKind.rating)


KIND_LABELS = {
    QuestionKind.single: _l("Single choice"),
    QuestionKind.multiple: _l("Multiple choice"),
    QuestionKind.rating: _l("Rating 1–5"),
    QuestionKind.number: _l("Number"),
    QuestionKind.text: _l("Free text"),
}


class Questionnaire(db.Model):
    """A questionnaire of a cycle, usually about one supervised unit, open for a set time."""

    __tablename__ = "survey_questionnaires"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="closes_after_opening"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("supervision_cycles.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    # Naive UTC, like every time the database stores.
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    # The public link /q/<token>: random, so one questionnaire's link does not lead to another.
    token: Mapped[str] = mapped_column(String(32), unique=True, default=public_token)
    # A closed group (the standing committee): every answer needs a one-time code.
    requires_code: Mapped[bool] = mapped_column(Boolean, default=False)
    # Published results are readable by the unit's liaison (own unit only).
    results_published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    cycle: Mapped[SupervisionCycle] = relationship()
    unit: Mapped[Unit | None] = relationship()
    questions: Mapped[list["Question"]] = relationship(
        back_populates="questionnaire", order_by="Question.position", cascade="all, delete-orphan"
    )

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    def question_named(self, name: str) -> "Question | None":
        return next((q for q in self.questions if q.name == name), None)


class Question(db.Model):
    __tablename__ = "survey_questions"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "name", name="uq_survey_questions_questionnaire_name"),
        CheckConstraint("(show_if_question_id IS NULL) = (show_if_value IS NULL)", name="rule_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questionnaires.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    # The question's name in an XLSForm sheet (letters, digits, underscore): rules refer to it.
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, "question_kind"))
    label: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Skip logic: shown (and answered) only if that earlier question was answered with this
    # value (a choice's name, or a rating 1–5).
    show_if_question_id: Mapped[int | None] = mapped_column(ForeignKey("survey_questions.id"))
    show_if_value: Mapped[str | None] = mapped_column(String(64))

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")
    choices: Mapped[list["Choice"]] = relationship(
        back_populates="question", order_by="Choice.position", cascade="all, delete-orphan"
    )
    show_if_question: Mapped["Question | None"] = relationship(remote_side=[id])

    def value_label(self, value: str) -> str:
        """The words of an answer value: a choice's label, or the rating itself."""
        choice = next((c for c in self.choices if c.name == value), None)
        return choice.label if choice else value

    @property
    def rule_text(self) -> str:
        """ "Only if you answered “…” to “…”", for the page without JavaScript."""
        if self.show_if_question is None:
            return ""
        return str(
            _l(
                "Answer only if you answered “%(value)s” to “%(question)s”.",
                value=self.show_if_question.value_label(self.show_if_value or ""),
                question=self.show_if_question.label,
            )
        )


class Choice(db.Model):
    __tablename__ = "survey_choices"
    __table_args__ = (UniqueConstraint("question_id", "name", name="uq_survey_choices_question_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(300))

    question: Mapped[Question] = relationship(back_populates="choices")


class Response(db.Model):
    """One person's answers. Only the day, never the time; the id is random."""

    __tablename__ = "survey_responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questionnaires.id", ondelete="CASCADE"), index=True
    )
    answered_on: Mapped[date] = mapped_column(Date)

    answers: Mapped[list["Answer"]] = relationship(back_populates="response", cascade="all, delete-orphan")


class Answer(db.Model):
    """The answer to one question; a multiple choice is one row per chosen choice."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        CheckConstraint(
            "CAST(choice_id IS NOT NULL AS INTEGER) + CAST(number_value IS NOT NULL AS INTEGER)"
            " + CAST(text_value IS NOT NULL AS INTEGER) = 1",
            name="one_value",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    response_id: Mapped[str] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True)
    choice_id: Mapped[int | None] = mapped_column(ForeignKey("survey_choices.id", ondelete="CASCADE"))
    number_value: Mapped[float | None] = mapped_column(Float)
    text_value: Mapped[str | None] = mapped_column(Text)
    # A free-text answer staff turned into a feedback item (source 问卷, no reporter).
    item_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_items.id", ondelete="SET NULL"))

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    choice: Mapped[Choice | None] = relationship()


class AccessCode(db.Model):
    """A one-time code for a closed group. Only its hash is kept, it is used once (an UPDATE …
    WHERE used = false in the answer's transaction) and nothing ties it to the answer it
    allowed or to the person it was handed to."""

    __tablename__ = "survey_access_codes"
    __table_args__ = (UniqueConstraint("questionnaire_id", "code_hash", name="uq_survey_access_codes_hash"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questionnaires.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used: Mapped[bool] = mapped_column(Boolean, default=False)
