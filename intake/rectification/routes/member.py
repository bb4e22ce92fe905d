"""Members' follow-up (追踪监督): tasks to verify and the visits that close or return them."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.core.downloads import send_stored
from intake.extensions import db
from intake.rectification import jobs, member_bp, notify, services
from intake.rectification.forms import VisitForm
from intake.rectification.masking import masked_file_name
from intake.rectification.models.tasks import EvidenceFile, RectificationTask, TaskStatus
from intake.rectification.models.visits import VisitOutcome
from intake.rectification.routes.helpers import _uploads
from intake.rectification.services import ledger_query, verification
from intake.security import member_or_staff_required


@member_bp.get("/")
@member_or_staff_required
def member_tasks():
    waiting = ledger_query.ledger_tasks(ledger_query.LedgerFilter(status=TaskStatus.reported_done.value))
    waiting += ledger_query.ledger_tasks(ledger_query.LedgerFilter(status=TaskStatus.verifying.value))
    tasks = ledger_query.ledger_tasks(ledger_query.LedgerFilter(status="open"))
    return render_template("rectification/member_list.html", waiting=waiting, tasks=tasks, today=services.local_today())


def _member_task_page(task: RectificationTask, status: int = 200, visit_form=None):
    visit_form = visit_form or VisitForm(formdata=None, data={"visited_on": services.local_today()})
    return render_template(
        "rectification/member_task.html", task=task, visit_form=visit_form, today=services.local_today()
    ), status


@member_bp.get("/tasks/<int:task_id>")
@member_or_staff_required
def member_task(task_id: int):
    return _member_task_page(db.get_or_404(RectificationTask, task_id))


@member_bp.post("/tasks/<int:task_id>/visit")
@member_or_staff_required
def visit(task_id: int):
    task = db.get_or_404(RectificationTask, task_id)
    form = VisitForm()
    if not form.validate_on_submit():
        return _member_task_page(task, 400, form)
    try:
        verification.record_visit(
            task,
            current_user.id,
            visited_on=form.visited_on.data,
            visitors=form.visitors.data,
            findings=form.findings.data,
            outcome=VisitOutcome(form.outcome.data),
            reasons=form.reasons.data,
            photos=_uploads(form.photos),
        )
    except services.RectificationError:
        db.session.rollback()
        flash(_("This step is not possible in the task's current state."))
        return _member_task_page(db.get_or_404(RectificationTask, task_id), 409, form)
    db.session.commit()
    jobs.dispatch_closure_notices(notify.pending_closure_notice_ids(task_id=task_id))
    flash(_("Verification recorded."))
    return redirect(url_for("verification.member_task", task_id=task_id), code=303)


@member_bp.get("/tasks/<int:task_id>/files/<int:file_id>")
@member_or_staff_required
def member_file(task_id: int, file_id: int):
    evidence = db.get_or_404(EvidenceFile, file_id)
    if evidence.task_id != task_id:
        abort(404)
    return send_stored(
        evidence.stored_name,
        evidence.content_type,
        masked_file_name(evidence.task.code, file_id, evidence.original_name),
    )
