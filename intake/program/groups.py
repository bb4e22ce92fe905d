"""Supervision groups (民主监督小组) and their meetings (座谈会, 现场考察): who is in which group,
what a meeting recorded, and where its findings go: a feedback item (明察), or straight into
the unit's rectification tasks. Services flush; the caller commits."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from intake.auth.models import Role, User
from intake.extensions import db
from intake.feedback.models import FeedbackItem, Kind, Source
from intake.feedback.services import ReporterInput, SubmissionInput, UploadInput, submit_feedback
from intake.program.models import CycleUnit, SupervisionCycle
from intake.program.plan_models import (
    GroupMember,
    Meeting,
    MeetingFinding,
    MeetingKind,
    MeetingPhoto,
    SupervisionGroup,
)
from intake.rectification.models.tasks import RectificationTask
from intake.rectification.services.routing import route_items_to_unit
from intake.storage import store_stream

SOURCE_OF_MEETING = {MeetingKind.symposium: Source.symposium, MeetingKind.inspection: Source.inspection}


class GroupError(ValueError):
    """A group or meeting operation the rules do not allow."""


# --- groups --------------------------------------------------------------------------------


def member_choices() -> list[User]:
    """The committee's member list (政协委员) with an active account."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.member, User.is_active_account.is_(True))
            .order_by(User.display_name, User.id)
        )
    )


def group_of(cycle_unit_id: int) -> SupervisionGroup | None:
    return db.session.scalar(select(SupervisionGroup).where(SupervisionGroup.cycle_unit_id == cycle_unit_id))


def set_group(cycle_unit_id: int, name: str, leader_id: int, member_ids: list[int]) -> SupervisionGroup:
    """Create or replace the group of a drawn unit: one leader (组长) and members, all of them
    committee members (role `member`)."""
    cu = db.session.get(CycleUnit, cycle_unit_id)
    if cu is None:
        raise GroupError("unknown cycle unit")
    name = (name or "").strip()
    if not name:
        raise GroupError("a group needs a name")
    wanted = [leader_id] + [m for m in dict.fromkeys(member_ids) if m != leader_id]
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}
    if any(users.get(uid) is None or users[uid].role is not Role.member for uid in wanted):
        raise GroupError("group members must be committee members")
    group = group_of(cycle_unit_id)
    if group is None:
        group = SupervisionGroup(cycle_unit_id=cycle_unit_id, name=name)
        db.session.add(group)
    group.name = name
    group.members.clear()
    db.session.flush()
    for uid in wanted:
        group.members.append(GroupMember(user_id=uid, is_leader=(uid == leader_id)))
    db.session.flush()
    return group


def groups_of_user(user_id: int) -> list[SupervisionGroup]:
    """The groups a member belongs to, newest cycle first."""
    return list(
        db.session.scalars(
            select(SupervisionGroup)
            .join(GroupMember, GroupMember.group_id == SupervisionGroup.id)
            .join(CycleUnit, CycleUnit.id == SupervisionGroup.cycle_unit_id)
            .join(SupervisionCycle, SupervisionCycle.id == CycleUnit.cycle_id)
            .where(GroupMember.user_id == user_id)
            .order_by(SupervisionCycle.year.desc(), SupervisionGroup.id)
        )
    )


def is_in_group(user_id: int, cycle_unit_id: int) -> bool:
    return (
        db.session.scalar(
            select(GroupMember.id)
            .join(SupervisionGroup, SupervisionGroup.id == GroupMember.group_id)
            .where(GroupMember.user_id == user_id, SupervisionGroup.cycle_unit_id == cycle_unit_id)
        )
        is not None
    )


def may_record_meetings(user: User, cycle_unit_id: int) -> bool:
    """Staff for every drawn unit; a member for the units of their own groups."""
    if user.is_staff:
        return True
    return user.role is Role.member and is_in_group(user.id, cycle_unit_id)


def open_tasks_of_groups(groups: list[SupervisionGroup]) -> list[RectificationTask]:
    """The rectification tasks of the units a member supervises, for their work page."""
    unit_ids = {g.cycle_unit.unit_id for g in groups}
    if not unit_ids:
        return []
    return [
        t
        for t in db.session.scalars(
            select(RectificationTask)
            .where(RectificationTask.unit_id.in_(unit_ids))
            .order_by(RectificationTask.id.desc())
        )
        if t.status.is_open
    ]


# --- meetings --------------------------------------------------------------------------------


@dataclass
class MeetingInput:
    kind: MeetingKind
    held_on: date
    place: str
    participants: str
    minutes: str
    findings: list[str]


def record_meeting(cycle_unit_id: int, data: MeetingInput, actor_id: int, photos: list[UploadInput] = ()) -> Meeting:
    if db.session.get(CycleUnit, cycle_unit_id) is None:
        raise GroupError("unknown cycle unit")
    if not data.place.strip() or not data.minutes.strip():
        raise GroupError("place and minutes are required")
    meeting = Meeting(
        cycle_unit_id=cycle_unit_id,
        kind=data.kind,
        held_on=data.held_on,
        place=data.place.strip(),
        participants=data.participants.strip(),
        minutes=data.minutes.strip(),
        created_by_id=actor_id,
    )
    db.session.add(meeting)
    for upload in photos:
        stored = store_stream(upload.stream)
        meeting.photos.append(
            MeetingPhoto(
                stored_name=stored.stored_name,
                original_name=upload.filename,
                content_type=upload.content_type,
                size=stored.size,
                sha256=stored.sha256,
            )
        )
    for text in data.findings:
        if text.strip():
            meeting.findings.append(MeetingFinding(text=text.strip(), created_by_id=actor_id))
    db.session.flush()
    return meeting


def split_findings(text: str) -> list[str]:
    """One finding a paragraph (blank lines between them) or a line."""
    text = (text or "").strip()
    if not text:
        return []
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    if len(blocks) == 1:
        blocks = [line.strip() for line in text.splitlines() if line.strip()]
    return blocks


def meetings_of(cycle_unit_id: int) -> list[Meeting]:
    return list(
        db.session.scalars(
            select(Meeting)
            .where(Meeting.cycle_unit_id == cycle_unit_id)
            .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        )
    )


def _finding_item(finding: MeetingFinding, actor: User, tracking_prefix: str) -> FeedbackItem:
    meeting = finding.meeting
    subject = finding.text.splitlines()[0][:120]
    return submit_feedback(
        SubmissionInput(
            source=SOURCE_OF_MEETING[meeting.kind],
            kind=Kind.report,
            body=finding.text,
            subject=subject,
            unit_id=meeting.cycle_unit.unit_id,
            location=meeting.place,
            reporter=ReporterInput(
                name=actor.display_name, email=actor.email, is_member=actor.role is Role.member, user_id=actor.id
            ),
        ),
        tracking_prefix=tracking_prefix,
        actor_id=actor.id,
    )


def finding_to_item(finding: MeetingFinding, actor: User, tracking_prefix: str) -> FeedbackItem:
    """The finding becomes a feedback item of the unit (source 座谈会 or 现场考察) for staff to triage."""
    if finding.item_id is not None:
        raise GroupError("finding already handed on")
    item = _finding_item(finding, actor, tracking_prefix)
    finding.item_id = item.id
    db.session.flush()
    return item


def finding_to_task(
    finding: MeetingFinding, actor: User, tracking_prefix: str, requirement: str, today: date | None = None
) -> RectificationTask:
    """Straight into the unit's rectification tasks (整改台账): an item records where the problem
    came from and a task is routed to the unit with the staff's requirement."""
    if finding.task_id is not None:
        raise GroupError("finding already in a task")
    if not (requirement or "").strip():
        raise GroupError("requirement is required")
    item = (
        db.session.get(FeedbackItem, finding.item_id)
        if finding.item_id
        else _finding_item(finding, actor, tracking_prefix)
    )
    task = route_items_to_unit(
        [item.id], finding.meeting.cycle_unit.unit_id, finding.text, requirement, actor.id, today=today
    )
    finding.item_id, finding.task_id = item.id, task.id
    db.session.flush()
    return task
