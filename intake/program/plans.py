"""Implementation plans (实施方案) and self-inspection reports (自查报告): the write operations
and who may read what. Services take plain values, flush, and leave the commit to the caller."""

from dataclasses import dataclass, field

from sqlalchemy import select

from intake.auth.models import Role, User
from intake.extensions import db
from intake.program.models import CycleUnit, SupervisionCycle
from intake.program.plan_models import ImplementationPlan, PlanVersion, SelfInspectionReport
from intake.program.plan_template import STAGE_NAMES, default_text
from intake.storage import store_stream
from intake.timeutil import utcnow

SECTIONS = ("guiding_idea", "principles", "leading_office", "main_content", "methods", "steps", "requirements")
LEADER_SEPARATORS = ("｜", "|", "\t")


class PlanError(ValueError):
    """A plan operation the rules do not allow (approving an old version, approving twice)."""


@dataclass
class PlanContent:
    title: str
    guiding_idea: str
    principles: str
    leading_group: list[dict] = field(default_factory=list)
    leading_office: str = ""
    main_content: str = ""
    methods: str = ""
    steps: str = ""
    requirements: str = ""

    @classmethod
    def of(cls, version: PlanVersion) -> "PlanContent":
        return cls(
            title=version.title,
            leading_group=list(version.leading_group),
            **{name: getattr(version, name) for name in SECTIONS},
        )


def parse_leading_group(text: str) -> list[dict]:
    """One member of the leading group (领导机构) a line: "组长｜王某某｜县政协主席"."""
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        for sep in LEADER_SEPARATORS:
            line = line.replace(sep, "|")
        parts = [p.strip() for p in line.split("|")] + ["", ""]
        rows.append({"role": parts[0], "name": parts[1], "title": parts[2]})
    return rows


def format_leading_group(rows: list[dict]) -> str:
    return "\n".join("｜".join((r.get("role", ""), r.get("name", ""), r.get("title", ""))).rstrip("｜") for r in rows)


def timetable_of(cycle: SupervisionCycle) -> list[dict]:
    """The cycle's stages with their due dates and owners, as the plan prints them."""
    return [
        {
            "stage": STAGE_NAMES.get(stage.kind.value, stage.kind.value),
            "due_on": stage.due_on.isoformat() if stage.due_on else "",
            "owner": stage.owner or "",
        }
        for stage in cycle.stages
    ]


def cycle_unit(cycle_unit_id: int) -> CycleUnit | None:
    return db.session.get(CycleUnit, cycle_unit_id)


def plan_of(cycle_unit_id: int) -> ImplementationPlan | None:
    return db.session.scalar(select(ImplementationPlan).where(ImplementationPlan.cycle_unit_id == cycle_unit_id))


def start_plan(cycle_unit_id: int, actor_id: int | None) -> ImplementationPlan:
    """The unit's plan, created from the template as version 1 when it has none yet."""
    plan = plan_of(cycle_unit_id)
    if plan is not None:
        return plan
    cu = cycle_unit(cycle_unit_id)
    if cu is None:
        raise PlanError("unknown cycle unit")
    plan = ImplementationPlan(cycle_unit_id=cu.id, created_by_id=actor_id)
    db.session.add(plan)
    content = PlanContent(**default_text(cu.unit.name, cu.cycle.year))
    _write_version(plan, content, actor_id, note=None)
    db.session.flush()
    return plan


def _write_version(
    plan: ImplementationPlan, content: PlanContent, actor_id: int | None, note: str | None
) -> PlanVersion:
    number = (plan.latest.number + 1) if plan.latest else 1
    version = PlanVersion(
        number=number,
        title=content.title.strip(),
        leading_group=[
            {k: (row.get(k) or "").strip() for k in ("role", "name", "title")} for row in content.leading_group
        ],
        timetable=timetable_of(plan.cycle_unit.cycle) if plan.cycle_unit else [],
        change_note=(note or "").strip() or None,
        created_by_id=actor_id,
        **{name: (getattr(content, name) or "").strip() for name in SECTIONS},
    )
    plan.versions.append(version)
    return version


def save_plan(plan: ImplementationPlan, content: PlanContent, actor_id: int, note: str | None = None) -> PlanVersion:
    """Every save is a new version; the approved one stays as it was (a draft after approval
    waits for its own approval, and until then the approved version is the one in force)."""
    if not content.title.strip():
        raise PlanError("a plan needs a title")
    version = _write_version(plan, content, actor_id, note)
    db.session.flush()
    return version


def approve_plan(plan: ImplementationPlan, version_number: int, actor_id: int) -> PlanVersion:
    """Approve the newest version (the one staff just read): an older one cannot be approved
    past a later edit, and an approved version is never approved again."""
    latest = plan.latest
    if latest is None or latest.number != version_number:
        raise PlanError("only the newest version can be approved")
    if latest.is_approved:
        raise PlanError("already approved")
    latest.approved_at = utcnow()
    latest.approved_by_id = actor_id
    db.session.flush()
    return latest


def version_of(plan: ImplementationPlan, number: int) -> PlanVersion | None:
    return next((v for v in plan.versions if v.number == number), None)


def plans_of_cycle(cycle_id: int) -> list[tuple[CycleUnit, ImplementationPlan | None]]:
    units = db.session.scalars(select(CycleUnit).where(CycleUnit.cycle_id == cycle_id).order_by(CycleUnit.id)).all()
    plans = {
        p.cycle_unit_id: p
        for p in db.session.scalars(
            select(ImplementationPlan).where(ImplementationPlan.cycle_unit_id.in_([u.id for u in units]))
        )
    }
    return [(u, plans.get(u.id)) for u in units]


# --- who reads what ----------------------------------------------------------------------


def may_read_unit(user: User, cu: CycleUnit) -> bool:
    """Staff read every unit's plan and report; a liaison only their own unit's."""
    if user.is_staff:
        return True
    return user.role is Role.liaison and user.unit_id == cu.unit_id


def readable_version(user: User, plan_id: int, number: int | None = None) -> PlanVersion | None:
    """The version `user` may read, or None (a 404 for the route): staff any version; the unit's
    liaison only the approved version in force of their own unit's plan; anyone else nothing."""
    plan = db.session.get(ImplementationPlan, plan_id)
    if plan is None or not may_read_unit(user, plan.cycle_unit):
        return None
    if user.is_staff:
        return version_of(plan, number) if number is not None else plan.latest
    approved = plan.approved
    if approved is None or (number is not None and number != approved.number):
        return None
    return approved


def unit_cycle_units(unit_id: int) -> list[CycleUnit]:
    """The cycles in which a unit was supervised, newest first."""
    return list(
        db.session.scalars(
            select(CycleUnit)
            .join(SupervisionCycle, SupervisionCycle.id == CycleUnit.cycle_id)
            .where(CycleUnit.unit_id == unit_id)
            .order_by(SupervisionCycle.year.desc())
        )
    )


# --- self-inspection reports (自查报告) ----------------------------------------------------


def upload_self_report(cu: CycleUnit, actor_id: int, upload, note: str | None = None) -> SelfInspectionReport:
    stored = store_stream(upload.stream)
    report = SelfInspectionReport(
        cycle_unit_id=cu.id,
        uploaded_by_id=actor_id,
        note=(note or "").strip() or None,
        stored_name=stored.stored_name,
        original_name=upload.filename,
        content_type=upload.content_type,
        size=stored.size,
        sha256=stored.sha256,
    )
    db.session.add(report)
    db.session.flush()
    return report


def reports_of(cycle_unit_id: int) -> list[SelfInspectionReport]:
    return list(
        db.session.scalars(
            select(SelfInspectionReport)
            .where(SelfInspectionReport.cycle_unit_id == cycle_unit_id)
            .order_by(SelfInspectionReport.id.desc())
        )
    )


def readable_report(user: User, report_id: int) -> SelfInspectionReport | None:
    report = db.session.get(SelfInspectionReport, report_id)
    if report is None or not may_read_unit(user, report.cycle_unit):
        return None
    return report
