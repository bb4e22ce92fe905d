"""The supervised unit's own portal (被监督单位联络员): its tasks, each step, its files, export."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.core.downloads import send_stored
from intake.extensions import db
from intake.rectification import ledger, services, unit_bp
from intake.rectification.forms import CompletionForm, ExtensionForm, ProgressForm, SignForm
from intake.rectification.masking import masked_file_name
from intake.rectification.models.read_audit import ReadKind
from intake.rectification.models.tasks import EvidenceFile, EvidenceKind, RectificationTask
from intake.rectification.routes.helpers import _export_name, _uploads, _xlsx_response
from intake.rectification.services import ledger_query, released_attachments, unit_steps, visibility
from intake.security import liaison_required


def _liaison_task(task_id: int) -> RectificationTask:
    task = visibility.task_for_user(task_id, current_user)
    if task is None:
        abort(404)  # another unit's task does not exist for this liaison
    return task


def _unit_task_page(task: RectificationTask, status: int = 200, **forms):
    forms.setdefault("sign_form", SignForm(formdata=None))
    forms.setdefault("progress_form", ProgressForm(formdata=None))
    forms.setdefault("extension_form", ExtensionForm(formdata=None))
    forms.setdefault("completion_form", CompletionForm(formdata=None))
    return render_template("rectification/unit_task.html", task=task, today=services.local_today(), **forms), status


@unit_bp.get("/")
@liaison_required
def unit_tasks():
    tasks = ledger_query.ledger_tasks(ledger_query.LedgerFilter(unit_id=current_user.unit_id))
    visibility.record_unit_read(current_user, ReadKind.list, client_ip=request.remote_addr)
    db.session.commit()
    return render_template("rectification/unit_list.html", tasks=tasks, today=services.local_today())


@unit_bp.get("/export.xlsx")
@liaison_required
def unit_export():
    tasks = ledger_query.ledger_tasks(ledger_query.LedgerFilter(unit_id=current_user.unit_id))
    visibility.record_unit_read(current_user, ReadKind.export, client_ip=request.remote_addr)
    db.session.commit()
    return _xlsx_response(ledger.workbook_bytes(tasks, masked=True), _export_name())


@unit_bp.get("/tasks/<int:task_id>")
@liaison_required
def task_detail(task_id: int):
    task = _liaison_task(task_id)
    visibility.record_unit_read(current_user, ReadKind.task, task_id=task.id, client_ip=request.remote_addr)
    db.session.commit()
    return _unit_task_page(task)


def _unit_step(task_id: int, form_name: str, form, action):
    task = _liaison_task(task_id)
    if not form.validate_on_submit():
        return _unit_task_page(task, 400, **{form_name: form})
    try:
        action(task, form)
    except services.RectificationError as exc:
        db.session.rollback()
        task = _liaison_task(task_id)
        flash(
            _("This step is not possible in the task's current state.")
            if isinstance(exc, services.TaskTransitionError)
            else _("Please check what you entered.")
        )
        return _unit_task_page(task, 409, **{form_name: form})
    db.session.commit()
    flash(_("Saved."))
    return redirect(url_for("unit.task_detail", task_id=task.id), code=303)


@unit_bp.post("/tasks/<int:task_id>/sign")
@liaison_required
def sign(task_id: int):
    return _unit_step(
        task_id,
        "sign_form",
        SignForm(),
        lambda task, form: unit_steps.sign_task(
            task,
            current_user.id,
            measures=form.measures.data,
            responsible_person=form.responsible_person.data,
            note=form.note.data,
        ),
    )


@unit_bp.post("/tasks/<int:task_id>/progress")
@liaison_required
def progress(task_id: int):
    return _unit_step(
        task_id,
        "progress_form",
        ProgressForm(),
        lambda task, form: unit_steps.post_progress(task, current_user.id, form.note.data, _uploads(form.files)),
    )


@unit_bp.post("/tasks/<int:task_id>/extension")
@liaison_required
def extension(task_id: int):
    return _unit_step(
        task_id,
        "extension_form",
        ExtensionForm(),
        lambda task, form: unit_steps.request_extension(
            task, current_user.id, form.requested_deadline.data, form.reason.data
        ),
    )


@unit_bp.post("/tasks/<int:task_id>/complete")
@liaison_required
def complete(task_id: int):
    return _unit_step(
        task_id,
        "completion_form",
        CompletionForm(),
        lambda task, form: unit_steps.report_completion(
            task, current_user.id, form.completion_report.data, _uploads(form.completion_files)
        ),
    )


@unit_bp.get("/tasks/<int:task_id>/files/<int:file_id>")
@liaison_required
def unit_file(task_id: int, file_id: int):
    task = _liaison_task(task_id)
    evidence = db.session.get(EvidenceFile, file_id)
    # Members' visit photos may show people: the unit gets its own evidence only.
    if evidence is None or evidence.task_id != task.id or evidence.kind is not EvidenceKind.evidence:
        abort(404)
    visibility.record_unit_read(
        current_user, ReadKind.evidence, task_id=task.id, object_id=file_id, client_ip=request.remote_addr
    )
    db.session.commit()
    index = [f.id for f in task.files].index(file_id) + 1
    return send_stored(
        evidence.stored_name, evidence.content_type, masked_file_name(task.code, index, evidence.original_name)
    )


@unit_bp.get("/tasks/<int:task_id>/attachments/<int:attachment_id>")
@liaison_required
def unit_attachment(task_id: int, attachment_id: int):
    task = _liaison_task(task_id)
    released = released_attachments.released_file(task, attachment_id)
    if released is None:
        abort(404)
    attachment, stored_name = released
    visibility.record_unit_read(
        current_user, ReadKind.attachment, task_id=task.id, object_id=attachment_id, client_ip=request.remote_addr
    )
    db.session.commit()
    # The original name may carry the reporter's name: the unit gets a neutral one.
    return send_stored(
        stored_name,
        attachment.content_type,
        masked_file_name(task.code + "-att", attachment.id, attachment.original_name),
    )
