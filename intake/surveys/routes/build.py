"""Staff pages that build a questionnaire: the list and a new one, settings and times, questions
with their choices and skip rules, the XLSForm sheet both ways (handing it out is in
handout.py). Thin: read input, call a service, commit, render."""

from datetime import datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.core.downloads import send_generated
from intake.extensions import db
from intake.program import services as program
from intake.reference.services import active_units
from intake.security import staff_required
from intake.surveys import services, staff_bp, xlsform
from intake.surveys.forms import (
    CodesForm,
    ConfirmForm,
    ImportForm,
    NewQuestionnaireForm,
    QuestionForm,
    SettingsForm,
    to_local,
    to_utc,
)
from intake.surveys.models import RATING_MAX, RATING_MIN, Question, QuestionKind, Questionnaire
from intake.surveys.routes import XLSX, file_stem, public_url, questionnaire_or_404
from intake.timeutil import local_today

MAX_WORKBOOK_BYTES = 2 * 1024 * 1024


# --- the list and a new questionnaire ------------------------------------------------------------


def _new_form() -> NewQuestionnaireForm:
    form = NewQuestionnaireForm()
    form.year.choices = [(c.year, str(c.year)) for c in program.cycles()]
    form.unit_id.choices = [(0, _("No particular unit"))] + [(u.id, u.display_name) for u in active_units()]
    return form


def _list_page(form: NewQuestionnaireForm, status: int = 200):
    rows = []
    for cycle in program.cycles():
        for q in services.questionnaires_of_cycle(cycle.id):
            rows.append({"q": q, "answers": services.response_count(q.id)})
    return render_template("surveys/list.html", rows=rows, form=form), status


@staff_bp.get("/")
@staff_required
def questionnaire_list():
    form = _new_form()
    start = datetime.combine(local_today(), time(8, 0))
    form.opens_at.data, form.closes_at.data = start, start + timedelta(days=30)
    return _list_page(form)


@staff_bp.post("/")
@staff_required
def questionnaire_create():
    form = _new_form()
    if not form.validate_on_submit():
        return _list_page(form, 400)
    cycle = program.get_cycle(form.year.data)
    try:
        q = services.create_questionnaire(
            cycle.id,
            form.unit_id.data or None,
            form.title.data,
            to_utc(form.opens_at.data),
            to_utc(form.closes_at.data),
            intro=form.intro.data,
            requires_code=form.requires_code.data,
            from_template=form.from_template.data,
            actor_id=current_user.id,
        )
    except services.QuestionnaireError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _list_page(form, 400)
    db.session.commit()
    flash(_("The questionnaire was created."))
    return redirect(url_for("surveys.questionnaire_edit", questionnaire_id=q.id), 303)


# --- one questionnaire ---------------------------------------------------------------------------


def _rule_choices(q: Questionnaire, before: int | None) -> list[tuple[str, str]]:
    """Every answer of every earlier choice or rating question, shown as "1. 您满意吗 = 不满意"."""
    choices = [("", _("Always shown"))]
    for other in q.questions:
        if before is not None and other.position >= before:
            break
        if not other.kind.can_be_condition:
            continue
        values = [(c.name, c.label) for c in other.choices] or [
            (str(n), str(n)) for n in range(RATING_MIN, RATING_MAX + 1)
        ]
        for value, label in values:
            choices.append((f"{other.name}={value}", f"{other.position}. {other.label[:40]} = {label}"))
    return choices


def _question_form(q: Questionnaire, question: Question | None = None) -> QuestionForm:
    form = QuestionForm()
    form.show_if.choices = _rule_choices(q, question.position if question else None)
    return form


def edit_page(q: Questionnaire, status: int = 200, **forms):
    settings = forms.get("settings") or SettingsForm(formdata=None, obj=q)
    if "settings" not in forms:
        settings.opens_at.data, settings.closes_at.data = to_local(q.opens_at), to_local(q.closes_at)
    codes_issued, codes_used = services.code_counts(q.id)
    return render_template(
        "surveys/edit.html",
        q=q,
        settings=settings,
        question_form=forms.get("question") or _question_form(q),
        import_form=forms.get("import_form") or ImportForm(formdata=None),
        codes_form=forms.get("codes") or CodesForm(formdata=None),
        confirm=ConfirmForm(),
        answers=services.response_count(q.id),
        codes_issued=codes_issued,
        codes_used=codes_used,
        public_url=public_url(q),
    ), status


@staff_bp.route("/<int:questionnaire_id>", methods=["GET", "POST"])
@staff_required
def questionnaire_edit(questionnaire_id: int):
    q = questionnaire_or_404(questionnaire_id)
    if request.method == "GET":
        return edit_page(q)
    form = SettingsForm()
    if form.validate_on_submit():
        done = _saved(
            q,
            form,
            lambda: services.update_settings(
                q,
                form.title.data,
                form.intro.data,
                to_utc(form.opens_at.data),
                to_utc(form.closes_at.data),
                form.requires_code.data,
            ),
            _("Saved."),
            anchor="#settings",
        )
        if done:
            return done
    return edit_page(q, 400, settings=form)


def _saved(q: Questionnaire, form, change, message: str, anchor: str = "#questions"):
    """Make a builder change: done, commit and go back to the questionnaire; refused by its
    rules, roll back, put the reason above the form and return None (the caller renders it)."""
    try:
        change()
    except services.QuestionnaireError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return None
    db.session.commit()
    flash(message)
    return redirect(url_for("surveys.questionnaire_edit", questionnaire_id=q.id) + anchor, 303)


def _split_choices(text: str, existing: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One choice a line, as "name | text" or only its text; a choice given without a name keeps
    the name of the choice with the same text, or gets the next free c<N>."""
    known = {label: name for name, label in existing}
    rows = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        name, sep, label = line.replace("｜", "|").partition("|")
        rows.append((name.strip(), label.strip()) if sep else (known.get(line, ""), line))
    used = {name for name, _label in rows if name}
    number = 0
    named = []
    for name, label in rows:
        while not name:
            number += 1
            name = f"c{number}" if f"c{number}" not in used else ""
        used.add(name)
        named.append((name, label))
    return named


def _question_input(q: Questionnaire, form: QuestionForm, question: Question | None) -> services.QuestionInput:
    kind = QuestionKind(form.kind.data)
    name = (form.name.data or "").strip() or (question.name if question else _free_name(q))
    existing = [(c.name, c.label) for c in question.choices] if question else []
    rule = None
    if form.show_if.data:
        source, _sep, value = form.show_if.data.partition("=")
        rule = (source, value)
    return services.QuestionInput(
        name=name,
        kind=kind,
        label=form.label.data,
        hint=form.hint.data or "",
        required=form.required.data,
        choices=_split_choices(form.choices.data, existing) if kind.has_choices else [],
        show_if=rule,
    )


def _free_name(q: Questionnaire) -> str:
    taken = {question.name for question in q.questions}
    number = len(q.questions) + 1
    while f"q{number}" in taken:
        number += 1
    return f"q{number}"


@staff_bp.post("/<int:questionnaire_id>/questions")
@staff_required
def question_add(questionnaire_id: int):
    q = questionnaire_or_404(questionnaire_id)
    form = _question_form(q)
    if form.validate_on_submit():
        done = _saved(
            q, form, lambda: services.add_question(q, _question_input(q, form, None)), _("The question was added.")
        )
        if done:
            return done
    return edit_page(q, 400, question=form)


def _question_or_404(q: Questionnaire, question_id: int) -> Question:
    question = next((x for x in q.questions if x.id == question_id), None)
    if question is None:
        abort(404)
    return question


@staff_bp.route("/<int:questionnaire_id>/questions/<int:question_id>", methods=["GET", "POST"])
@staff_required
def question_edit(questionnaire_id: int, question_id: int):
    q = questionnaire_or_404(questionnaire_id)
    question = _question_or_404(q, question_id)
    form = _question_form(q, question)
    if request.method == "GET":
        form.label.data, form.kind.data, form.name.data = question.label, question.kind.value, question.name
        form.hint.data, form.required.data = question.hint, question.required
        form.choices.data = "\n".join(f"{c.name} | {c.label}" for c in question.choices)
        if question.show_if_question:
            form.show_if.data = f"{question.show_if_question.name}={question.show_if_value}"
    elif form.validate_on_submit():
        done = _saved(
            q, form, lambda: services.update_question(question, _question_input(q, form, question)), _("Saved.")
        )
        if done:
            return done
    status = 400 if form.errors or form.form_errors else 200
    return render_template("surveys/question.html", q=q, question=question, form=form), status


@staff_bp.post("/<int:questionnaire_id>/questions/<int:question_id>/move")
@staff_required
def question_move(questionnaire_id: int, question_id: int):
    return _question_change(questionnaire_id, question_id, "move")


@staff_bp.post("/<int:questionnaire_id>/questions/<int:question_id>/delete")
@staff_required
def question_delete(questionnaire_id: int, question_id: int):
    return _question_change(questionnaire_id, question_id, "delete")


def _question_change(questionnaire_id: int, question_id: int, change: str):
    q = questionnaire_or_404(questionnaire_id)
    question = _question_or_404(q, question_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if change == "delete":
            services.delete_question(question)
        else:
            services.move_question(question, -1 if request.form.get("direction") == "up" else 1)
        db.session.commit()
    except services.QuestionnaireError as exc:
        db.session.rollback()
        flash(str(exc))
    return redirect(url_for("surveys.questionnaire_edit", questionnaire_id=q.id) + "#questions", 303)


# --- the XLSForm sheet -----------------------------------------------------------------------------


@staff_bp.get("/<int:questionnaire_id>/form.xlsx")
@staff_required
def form_export(questionnaire_id: int):
    q = questionnaire_or_404(questionnaire_id)
    return send_generated(xlsform.export_xlsx(q), XLSX, file_stem(q) + ".xlsx")


@staff_bp.post("/<int:questionnaire_id>/import")
@staff_required
def form_import(questionnaire_id: int):
    q = questionnaire_or_404(questionnaire_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return edit_page(q, 400, import_form=form)
    upload = form.workbook.data
    data = upload.read(MAX_WORKBOOK_BYTES + 1) if upload else b""
    try:
        if not data:
            raise xlsform.XLSFormError(_("Please choose an .xlsx file."))
        if len(data) > MAX_WORKBOOK_BYTES:
            raise xlsform.XLSFormError(_("The file is larger than 2 MB."))
        settings, questions = xlsform.parse_xlsx(data)
        services.import_definition(q, questions, **settings)
    except (xlsform.XLSFormError, services.QuestionnaireError) as exc:
        db.session.rollback()
        form.workbook.errors = [str(exc)]
        return edit_page(questionnaire_or_404(questionnaire_id), 400, import_form=form)
    db.session.commit()
    flash(_("%(n)d questions were imported.", n=len(questions)))
    return redirect(url_for("surveys.questionnaire_edit", questionnaire_id=q.id) + "#questions", 303)
