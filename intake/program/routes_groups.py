"""Routes of the supervision groups, their meetings and a member's work page. Staff form the
groups; staff and the group's own members record meetings; a finding goes on as a feedback
item (staff or the group) or straight into a rectification task (staff)."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from intake.core.downloads import send_stored
from intake.extensions import db
from intake.feedback.jobs import dispatch_items
from intake.feedback.services import UploadInput
from intake.program import groups, plans
from intake.program.forms_plans import FindingTaskForm, GroupForm, MeetingForm
from intake.program.models import CycleUnit, SupervisionCycle
from intake.program.plan_models import Meeting, MeetingFinding, MeetingKind, MeetingPhoto
from intake.program.plan_web import member_program_bp, staff_plans_bp, work_bp
from intake.rectification.services import RectificationError
from intake.security import member_or_staff_required, member_required, staff_required
from intake.timeutil import local_today
from intake.uploads import ALLOWED_TYPES, extension_of, safe_display_name


def _cycle_unit_or_404(cycle_unit_id: int) -> CycleUnit:
    cu = db.session.get(CycleUnit, cycle_unit_id)
    if cu is None:
        abort(404)
    return cu


def _group_form(cu: CycleUnit, formdata=None) -> GroupForm:
    group = groups.group_of(cu.id)
    form = (
        GroupForm(formdata=formdata)
        if formdata is not None
        else GroupForm(
            name=group.name if group else _("Supervision group for %(unit)s", unit=cu.unit.display_name),
            leader_id=group.leader.id if group and group.leader else None,
            member_ids=[m.user_id for m in group.members if not m.is_leader] if group else [],
        )
    )
    people = [(u.id, u.display_name + " (" + u.username + ")") for u in groups.member_choices()]
    form.leader_id.choices = [(0, _("Choose…"))] + people
    form.member_ids.choices = people
    return form


def _unit_page(cu: CycleUnit, group_form: GroupForm, status: int = 200):
    return render_template(
        "program/unit_page.html",
        cu=cu,
        plan=plans.plan_of(cu.id),
        group=groups.group_of(cu.id),
        group_form=group_form,
        meetings=groups.meetings_of(cu.id),
        reports=plans.reports_of(cu.id),
    ), status


@staff_plans_bp.get("/units/<int:cycle_unit_id>")
@staff_required
def unit_page(cycle_unit_id: int):
    cu = _cycle_unit_or_404(cycle_unit_id)
    return _unit_page(cu, _group_form(cu))


@staff_plans_bp.post("/units/<int:cycle_unit_id>/group")
@staff_required
def group_save(cycle_unit_id: int):
    cu = _cycle_unit_or_404(cycle_unit_id)
    form = _group_form(cu, formdata=request.form)
    if form.validate_on_submit():
        if not form.leader_id.data:
            form.leader_id.errors.append(_("Choose the group leader."))
        else:
            try:
                groups.set_group(cu.id, form.name.data, form.leader_id.data, form.member_ids.data or [])
            except groups.GroupError:
                form.member_ids.errors.append(_("Only committee members can be in a group."))
            else:
                db.session.commit()
                flash(_("The supervision group was saved."))
                return redirect(url_for("program_plans.unit_page", cycle_unit_id=cu.id), 303)
    return _unit_page(cu, form, 400)


# --- meetings ------------------------------------------------------------------------------


def _may_record(cu: CycleUnit) -> None:
    if not groups.may_record_meetings(current_user, cu.id):
        abort(404)


@work_bp.route("/units/<int:cycle_unit_id>/meetings/new", methods=["GET", "POST"])
@member_or_staff_required
def meeting_new(cycle_unit_id: int):
    cu = _cycle_unit_or_404(cycle_unit_id)
    _may_record(cu)
    form = MeetingForm()
    if request.method == "GET":
        form.held_on.data = local_today()
        form.kind.data = MeetingKind.symposium.value
    elif form.validate_on_submit():
        photos = [
            UploadInput(
                filename=safe_display_name(f.filename),
                content_type=ALLOWED_TYPES[extension_of(f.filename)],
                stream=f.stream,
            )
            for f in (form.photos.data or [])
            if f and getattr(f, "filename", None)
        ]
        meeting = groups.record_meeting(
            cu.id,
            groups.MeetingInput(
                kind=MeetingKind(form.kind.data),
                held_on=form.held_on.data,
                place=form.place.data,
                participants=form.participants.data,
                minutes=form.minutes.data,
                findings=groups.split_findings(form.findings.data),
            ),
            current_user.id,
            photos,
        )
        db.session.commit()
        flash(_("The meeting was recorded."))
        return redirect(url_for("program_work.meeting_view", meeting_id=meeting.id), 303)
    return render_template("program/meeting_new.html", cu=cu, form=form), 400 if form.errors else 200


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    _may_record(meeting.cycle_unit)
    return meeting


@work_bp.get("/meetings/<int:meeting_id>")
@member_or_staff_required
def meeting_view(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    return render_template(
        "program/meeting_view.html", meeting=meeting, cu=meeting.cycle_unit, task_form=FindingTaskForm()
    )


@work_bp.get("/meetings/<int:meeting_id>/photos/<int:photo_id>")
@member_or_staff_required
def meeting_photo(meeting_id: int, photo_id: int):
    meeting = _meeting_or_404(meeting_id)
    photo = db.session.get(MeetingPhoto, photo_id)
    if photo is None or photo.meeting_id != meeting.id:
        abort(404)
    return send_stored(photo.stored_name, photo.content_type, photo.original_name)


def _finding_or_404(finding_id: int) -> MeetingFinding:
    finding = db.session.get(MeetingFinding, finding_id)
    if finding is None:
        abort(404)
    _may_record(finding.meeting.cycle_unit)
    return finding


@work_bp.post("/findings/<int:finding_id>/item")
@member_or_staff_required
def finding_item(finding_id: int):
    finding = _finding_or_404(finding_id)  # the CSRF token is checked app-wide (CSRFProtect)
    try:
        item = groups.finding_to_item(finding, current_user, current_app.config["TRACKING_PREFIX"])
    except groups.GroupError:
        flash(_("This finding has already been handed on."))
        return redirect(url_for("program_work.meeting_view", meeting_id=finding.meeting_id), 303)
    db.session.commit()
    # Its follow-up (suggestions; a receipt with the tracking code to the member, as for any
    # finding a member reports) now, not at the next sweep.
    dispatch_items([item.id])
    flash(_("The finding is now feedback item %(code)s.", code=item.tracking_code))
    return redirect(url_for("program_work.meeting_view", meeting_id=finding.meeting_id), 303)


@work_bp.post("/findings/<int:finding_id>/task")
@staff_required
def finding_task(finding_id: int):
    finding = _finding_or_404(finding_id)
    form = FindingTaskForm()
    if form.validate_on_submit():
        try:
            task = groups.finding_to_task(
                finding, current_user, current_app.config["TRACKING_PREFIX"], form.requirement.data
            )
        except (groups.GroupError, RectificationError):
            form.requirement.errors.append(_("This finding cannot go into a task (already in one?)."))
        else:
            db.session.commit()
            dispatch_items([finding.item_id])
            flash(_("The finding is now rectification task %(code)s.", code=task.code))
            return redirect(url_for("program_work.meeting_view", meeting_id=finding.meeting_id), 303)
    return render_template(
        "program/meeting_view.html",
        meeting=finding.meeting,
        cu=finding.meeting.cycle_unit,
        task_form=form,
        failed_finding=finding.id,
    ), 400


# --- a member's work page ----------------------------------------------------------------------


@member_program_bp.get("/")
@member_required
def home():
    my_groups = groups.groups_of_user(current_user.id)
    cycle = (
        my_groups[0].cycle_unit.cycle
        if my_groups
        else db.session.scalars(select(SupervisionCycle).order_by(SupervisionCycle.year.desc()).limit(1)).first()
    )
    return render_template(
        "program/member_home.html",
        groups=my_groups,
        cycle=cycle,
        meetings_by_group={g.id: groups.meetings_of(g.cycle_unit_id) for g in my_groups},
        tasks=groups.open_tasks_of_groups(my_groups),
        today=local_today(),
    )
