"""Recording a visit sent from a phone's outbox, idempotently by its UUID, and who may read it.
Findings become feedback items of the unit. Services flush; the caller commits.

For the appraisal: `year_figures` and `findings_for` (intake/visits/figures.py)."""

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from intake.auth.models import Role, User
from intake.extensions import db
from intake.feedback.models import Kind, Source
from intake.feedback.services import ReporterInput, SubmissionInput, submit_feedback
from intake.program.groups import split_findings
from intake.program.models import CycleUnit, SupervisionCycle
from intake.program.plan_models import GroupMember, SupervisionGroup
from intake.reference.models import Unit
from intake.storage import store_bytes
from intake.timeutil import county_zone, utcnow
from intake.visits.checklists import checklist_of, read_answers
from intake.visits.figures import VisitFigures, findings_for, year_figures  # noqa: F401 - the appraisal's API
from intake.visits.models import ConflictResolution, Visit, VisitConflict, VisitFinding, VisitPhoto
from intake.visits.photos import PhotoError, clean_photo

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_TEXT = 4000


@dataclass
class PhotoInput:
    filename: str
    data: bytes


@dataclass
class VisitInput:
    """A visit as the phone sent it; `answers` are the checklist's answers as typed."""

    uuid: str
    cycle_id: int | None
    unit_id: int | None
    place: str
    visited_at: datetime | None  # the county's local time, naive
    incognito: bool
    answers: dict[str, str] = field(default_factory=dict)
    notes: str = ""
    findings: str = ""
    photos: list[PhotoInput] = field(default_factory=list)


class VisitError(ValueError):
    """What is wrong with a visit, per field (checklist answers under `answer-<key>`)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(", ".join(errors))
        self.errors = errors


@dataclass
class Recorded:
    """What a send did: `created`, `same` (already stored, nothing new) or `conflict`."""

    status: str
    visit: Visit
    conflict: VisitConflict | None = None


def _utc(local: datetime) -> datetime:
    return local.replace(tzinfo=county_zone()).astimezone(UTC).replace(tzinfo=None)


def _checked(data: VisitInput, max_photos: int) -> tuple[dict, list[bytes]]:
    """The answers read and the photos cleaned, or VisitError with every problem."""
    errors = {}
    if not UUID_RE.match(data.uuid or ""):
        errors["uuid"] = str(_l("This visit has no valid identifier; reload the form."))
    cycle = db.session.get(SupervisionCycle, data.cycle_id) if data.cycle_id else None
    if cycle is None:
        errors["cycle_id"] = str(_l("Unknown supervision year."))
    unit = db.session.get(Unit, data.unit_id) if data.unit_id else None
    if unit is None or not unit.is_active:
        errors["unit_id"] = str(_l("Choose the unit you visited."))
    if not data.place.strip():
        errors["place"] = str(_l("Say which window or office you visited."))
    elif len(data.place.strip()) > 200:
        errors["place"] = str(_l("At most %(n)d characters.", n=200))
    if data.visited_at is None:
        errors["visited_at"] = str(_l("Give the date and time of the visit."))
    elif _utc(data.visited_at) > utcnow() + timedelta(days=1):
        errors["visited_at"] = str(_l("The visit cannot be in the future."))
    for name in ("notes", "findings"):
        if len(getattr(data, name)) > MAX_TEXT:
            errors[name] = str(_l("At most %(n)d characters.", n=MAX_TEXT))
    answers, answer_errors = read_answers(checklist_of(cycle.id), data.answers) if cycle else ({}, {})
    errors.update({f"answer-{key}": message for key, message in answer_errors.items()})
    photos = []
    if len(data.photos) > max_photos:
        errors["photos"] = str(_l("You can attach at most %(n)d files.", n=max_photos))
    else:
        for photo in data.photos:
            try:
                photos.append(clean_photo(photo.data))
            except PhotoError:
                errors["photos"] = str(_l("“%(name)s” is not a photo that can be read.", name=photo.filename))
    if errors:
        raise VisitError(errors)
    return answers, photos


def _fields(data: VisitInput, answers: dict) -> dict:
    """The visit's columns as sent (its time as typed, in the county)."""
    return dict(
        cycle_id=data.cycle_id,
        unit_id=data.unit_id,
        place=data.place.strip(),
        incognito=bool(data.incognito),
        answers=answers,
        notes=data.notes.strip(),
    )


def _payload(data: VisitInput, answers: dict) -> dict:
    """What was sent, as JSON: the columns, the local time and the findings."""
    return dict(
        _fields(data, answers),
        visited_at=data.visited_at.strftime("%Y-%m-%dT%H:%M"),
        findings=split_findings(data.findings),
    )


def fingerprint(data: VisitInput, answers: dict) -> str:
    """sha256 of what was sent, photos by their bytes as sent: a resend has the same one."""
    content = dict(_payload(data, answers), photos=[hashlib.sha256(p.data).hexdigest() for p in data.photos])
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _stored_photos(photos: list[bytes], names: list[str]) -> list[dict]:
    rows = []
    for data, name in zip(photos, names):
        stored = store_bytes(data)
        stem = name.rsplit(".", 1)[0][:180] or "photo"
        rows.append(
            dict(stored_name=stored.stored_name, original_name=stem + ".jpg", size=stored.size, sha256=stored.sha256)
        )
    return rows


def record_visit(data: VisitInput, member: User, tracking_prefix: str | None = None) -> Recorded:
    """Store a visit sent by `member`, once per UUID: the same content again changes nothing;
    different content keeps the first and records the second as a conflict for staff."""
    answers, photos = _checked(data, current_app.config["MAX_UPLOAD_FILES"])
    print_ = fingerprint(data, answers)
    existing = visit_by_uuid(data.uuid)
    if existing is None:
        try:
            with db.session.begin_nested():
                visit = _create(data, answers, photos, print_, member, tracking_prefix)
            return Recorded("created", visit)
        except IntegrityError:  # the same UUID stored by a request running alongside
            existing = visit_by_uuid(data.uuid)
    if existing.fingerprint == print_:
        return Recorded("same", existing)
    conflict = next((c for c in existing.conflicts if c.fingerprint == print_), None)
    if conflict is None:
        conflict = VisitConflict(
            visit_id=existing.id,
            fingerprint=print_,
            payload=dict(_payload(data, answers), member_id=member.id),
            photos=_stored_photos(photos, [p.filename for p in data.photos]),
        )
        db.session.add(conflict)
        db.session.flush()
    return Recorded("conflict", existing, conflict)


def _create(data: VisitInput, answers, photos, print_, member: User, tracking_prefix) -> Visit:
    visit = Visit(
        uuid=data.uuid,
        member_id=member.id,
        visited_at=_utc(data.visited_at),
        fingerprint=print_,
        **_fields(data, answers),
    )
    db.session.add(visit)
    db.session.flush()
    for row in _stored_photos(photos, [p.filename for p in data.photos]):
        visit.photos.append(VisitPhoto(content_type="image/jpeg", **row))
    add_findings(visit, split_findings(data.findings), member, tracking_prefix)
    return visit


def add_findings(visit: Visit, texts: list[str], member: User, tracking_prefix: str | None = None) -> list[int]:
    """Each finding becomes a feedback item of the unit (暗访 or 明察), the member its reporter:
    masked for the unit like any reporter. Returns the new items' ids."""
    prefix = tracking_prefix or current_app.config["TRACKING_PREFIX"]
    ids = []
    for text in texts:
        item = submit_feedback(
            SubmissionInput(
                source=Source.visit if visit.incognito else Source.inspection,
                kind=Kind.report,
                body=text,
                subject=text.splitlines()[0][:120],
                unit_id=visit.unit_id,
                location=visit.place,
                reporter=ReporterInput(name=member.display_name, email=member.email, is_member=True, user_id=member.id),
            ),
            tracking_prefix=prefix,
            actor_id=member.id,
        )
        visit.findings.append(VisitFinding(text=text, item_id=item.id))
        ids.append(item.id)
    db.session.flush()
    return ids


def visit_by_uuid(uuid: str) -> Visit | None:
    return db.session.scalar(select(Visit).where(Visit.uuid == uuid))


# --- who sees what ---------------------------------------------------------------------------


def _group_clause(user_id: int):
    """Visits to a unit in a year where the user is in that unit's group."""
    return (
        select(Visit.id)
        .join(CycleUnit, (CycleUnit.cycle_id == Visit.cycle_id) & (CycleUnit.unit_id == Visit.unit_id))
        .join(SupervisionGroup, SupervisionGroup.cycle_unit_id == CycleUnit.id)
        .join(GroupMember, GroupMember.group_id == SupervisionGroup.id)
        .where(GroupMember.user_id == user_id)
    )


def visible_visits(user: User) -> list[Visit]:
    """A member's own visits and their groups'; staff see all."""
    query = select(Visit).order_by(Visit.visited_at.desc(), Visit.id.desc())
    if not user.is_staff:
        query = query.where(or_(Visit.member_id == user.id, Visit.id.in_(_group_clause(user.id))))
    return list(db.session.scalars(query))


def may_see(user: User, visit: Visit) -> bool:
    if user.is_staff:
        return True
    if user.role is not Role.member:
        return False
    return (
        visit.member_id == user.id or db.session.scalar(_group_clause(user.id).where(Visit.id == visit.id)) is not None
    )


def units_for_form(user: User) -> list[Unit]:
    """Active units, those of the member's groups first (newest year first)."""
    first = list(
        db.session.scalars(
            select(Unit)
            .join(CycleUnit, CycleUnit.unit_id == Unit.id)
            .join(SupervisionGroup, SupervisionGroup.cycle_unit_id == CycleUnit.id)
            .join(GroupMember, GroupMember.group_id == SupervisionGroup.id)
            .where(GroupMember.user_id == user.id, Unit.is_active.is_(True))
            .order_by(CycleUnit.cycle_id.desc(), Unit.sort_order, Unit.id)
        )
    )
    first = list(dict.fromkeys(first))
    rest = db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.sort_order, Unit.id))
    return first + [u for u in rest if u not in first]


def current_cycle() -> SupervisionCycle | None:
    """The year a new visit belongs to: the newest cycle."""
    return db.session.scalars(select(SupervisionCycle).order_by(SupervisionCycle.year.desc()).limit(1)).first()


# --- conflicts -------------------------------------------------------------------------------


def open_conflicts() -> list[VisitConflict]:
    return list(
        db.session.scalars(
            select(VisitConflict).order_by(VisitConflict.resolved_at.is_not(None), VisitConflict.id.desc())
        )
    )


class ConflictError(ValueError):
    """A conflict already resolved."""


def resolve_conflict(conflict: VisitConflict, resolution: ConflictResolution, actor_id: int) -> Visit | None:
    """Keep the first version, or record the second as a visit of its own (its findings become
    items then). Returns the new visit, if any."""
    if conflict.resolution is not None:
        raise ConflictError("already resolved")
    new_visit = None
    if resolution is ConflictResolution.added_as_new:
        p = conflict.payload
        member = db.session.get(User, p["member_id"])
        new_visit = Visit(
            uuid=new_uuid(),
            member_id=member.id,
            visited_at=_utc(datetime.fromisoformat(p["visited_at"])),
            fingerprint=conflict.fingerprint,
            **{name: p[name] for name in ("cycle_id", "unit_id", "place", "incognito", "answers", "notes")},
        )
        db.session.add(new_visit)
        db.session.flush()
        for row in conflict.photos:
            new_visit.photos.append(VisitPhoto(content_type="image/jpeg", **row))
        add_findings(new_visit, p["findings"], member)
        conflict.new_visit_id = new_visit.id
    conflict.resolution, conflict.resolved_at, conflict.resolved_by_id = resolution, utcnow(), actor_id
    db.session.flush()
    return new_visit


def new_uuid() -> str:
    """A visit's identifier when the server makes it (a form sent without script, a conflict
    recorded as a visit of its own); the phone makes its own."""
    return str(uuid.uuid4())
