"""The opinions and suggestions handed over to a unit (交付意见建议), curated by staff from any
source (items now; visits and questionnaire answers once those features are merged), the notice
(通报) that hands them over, and the rectification tasks they open, reviewed one by one."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intake.appraisal.models import HandedOpinion, OpinionSource, UnitNotice
from intake.appraisal.services import AppraisalError
from intake.extensions import db
from intake.feedback.models import FeedbackItem, Kind, Source
from intake.feedback.services import SubmissionInput, submit_feedback
from intake.program.models import CycleUnit
from intake.rectification.masking import mask_text
from intake.rectification.models.tasks import RectificationTask
from intake.rectification.services import RectificationError
from intake.rectification.services.routing import open_task_of_item, route_items_to_unit
from intake.timeutil import utcnow

MAX_OPINION_CHARS = 4000
# The feedback item a non-item opinion becomes when it opens a task: where it came from.
ITEM_SOURCE_OF = {OpinionSource.visit: Source.visit, OpinionSource.questionnaire: Source.questionnaire}


@dataclass(frozen=True)
class OpinionInput:
    """A generic source: its kind, its reference in that source (an id), and the text."""

    source: OpinionSource
    text: str
    source_ref: str | None = None


def opinions_of(cycle_unit_id: int) -> list[HandedOpinion]:
    return list(
        db.session.scalars(
            select(HandedOpinion).where(HandedOpinion.cycle_unit_id == cycle_unit_id).order_by(HandedOpinion.id)
        )
    )


def add_opinion(cycle_unit: CycleUnit, data: OpinionInput, actor_id: int | None) -> HandedOpinion:
    text = (data.text or "").strip()
    if not text:
        raise AppraisalError(_l("Write the opinion or suggestion."))
    if len(text) > MAX_OPINION_CHARS:
        raise AppraisalError(_l("At most %(n)d characters.", n=MAX_OPINION_CHARS))
    if data.source_ref and db.session.scalar(
        select(HandedOpinion.id).where(
            HandedOpinion.cycle_unit_id == cycle_unit.id,
            HandedOpinion.source == data.source,
            HandedOpinion.source_ref == data.source_ref,
        )
    ):
        raise AppraisalError(_l("This one is already among the opinions handed over."))
    opinion = HandedOpinion(
        cycle_unit_id=cycle_unit.id, source=data.source, source_ref=data.source_ref, text=text, created_by_id=actor_id
    )
    db.session.add(opinion)
    db.session.flush()
    return opinion


def add_item_opinion(cycle_unit: CycleUnit, item_id: int, actor_id: int | None) -> HandedOpinion:
    """An item of the unit's year as an opinion: its text masked as a unit reads it (权益保障)."""
    item = db.session.get(FeedbackItem, item_id)
    if item is None or item.unit_id != cycle_unit.unit_id:
        raise AppraisalError(_l("This item is not about this unit."))
    body = mask_text(item.body, item.reporter)
    subject = mask_text(item.subject, item.reporter)
    text = body if body.startswith(subject) else f"{subject}：{body}"
    return add_opinion(cycle_unit, OpinionInput(OpinionSource.item, text[:MAX_OPINION_CHARS], str(item.id)), actor_id)


def remove_opinion(opinion: HandedOpinion) -> None:
    if opinion.task_id is not None:
        raise AppraisalError(_l("This opinion has opened a task and stays on record."))
    db.session.delete(opinion)
    db.session.flush()


def notice_of(cycle_unit_id: int) -> UnitNotice | None:
    return db.session.scalar(select(UnitNotice).where(UnitNotice.cycle_unit_id == cycle_unit_id))


def issue_notice(cycle_unit: CycleUnit, actor_id: int | None) -> UnitNotice:
    """Issue the year's notice to the unit: from now its liaison reads it, with the opinions."""
    from intake.appraisal.services.results import latest_result

    if notice_of(cycle_unit.id) is not None:
        raise AppraisalError(_l("The notice has already been issued."))
    if latest_result(cycle_unit.id) is None:
        raise AppraisalError(_l("The unit has no counted appraisal result yet."))
    notice = UnitNotice(cycle_unit_id=cycle_unit.id, issued_by_id=actor_id)
    db.session.add(notice)
    db.session.flush()
    return notice


def _item_for(opinion: HandedOpinion, actor_id: int, tracking_prefix: str) -> FeedbackItem:
    if opinion.source is OpinionSource.item and opinion.source_ref and opinion.source_ref.isdigit():
        item = db.session.get(FeedbackItem, int(opinion.source_ref))
        if (
            item is not None
            and open_task_of_item(item.id) is None
            and item.status.value
            not in (
                "rejected",
                "duplicate",
                "invalid",
                "closed",
            )
        ):
            return item
    return submit_feedback(
        SubmissionInput(
            source=ITEM_SOURCE_OF.get(opinion.source, Source.member),
            kind=Kind.suggestion,
            body=opinion.text,
            subject=opinion.text.splitlines()[0][:120],
            unit_id=opinion.cycle_unit.unit_id,
        ),
        tracking_prefix=tracking_prefix,
        actor_id=actor_id,
    )


def open_tasks(
    cycle_unit: CycleUnit,
    requirements: dict[int, str],
    actor_id: int,
    tracking_prefix: str,
    today: date | None = None,
) -> list[RectificationTask]:
    """The issued notice's opinions → the unit's rectification tasks, in one step: one task per
    opinion staff kept, with the requirement they wrote for it."""
    notice = notice_of(cycle_unit.id)
    if notice is None:
        raise AppraisalError(_l("Issue the notice first."))
    chosen = {oid: (req or "").strip() for oid, req in requirements.items()}
    if not chosen:
        raise AppraisalError(_l("Choose at least one opinion."))
    if any(not req for req in chosen.values()):
        raise AppraisalError(_l("Write the rectification requirement of each opinion chosen."))
    opinions = {o.id: o for o in opinions_of(cycle_unit.id)}
    tasks = []
    for opinion_id, requirement in chosen.items():
        opinion = opinions.get(opinion_id)
        if opinion is None or opinion.task_id is not None:
            raise AppraisalError(_l("An opinion chosen is not open for a task."))
        item = _item_for(opinion, actor_id, tracking_prefix)
        try:
            task = route_items_to_unit([item.id], cycle_unit.unit_id, opinion.text, requirement, actor_id, today=today)
        except RectificationError as exc:
            raise AppraisalError(_l("An opinion chosen is not open for a task.")) from exc
        opinion.task_id = task.id
        tasks.append(task)
    notice.tasks_opened_at = notice.tasks_opened_at or utcnow()
    db.session.flush()
    return tasks
