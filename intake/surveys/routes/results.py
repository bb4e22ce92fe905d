"""Results: staff read every questionnaire's, the unit's liaison only their own unit's and only
once staff published them (anything else is a 404, never a hint). Staff also export every
answer to Excel and turn a free-text answer into a feedback item."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.core.downloads import send_generated
from intake.extensions import db
from intake.printing.charts import data_uri
from intake.security import liaison_required, staff_required
from intake.surveys import results, services, staff_bp, unit_bp
from intake.surveys.forms import ConfirmForm, ResultsFilterForm
from intake.surveys.models import Answer, Questionnaire
from intake.surveys.routes import XLSX, file_stem, questionnaire_or_404


def _results_page(q: Questionnaire, *, staff: bool):
    form = ResultsFilterForm(formdata=request.args)
    status = 200
    if not form.validate():
        status = 400
        summary = results.summarize(q)
    else:
        summary = results.summarize(q, form.date_from.data, form.date_to.data, form.search.data or "")
    return render_template(
        "surveys/results.html",
        q=q,
        summary=summary,
        form=form,
        staff=staff,
        confirm=ConfirmForm() if staff else None,
        data_uri=data_uri,
    ), status


@staff_bp.get("/<int:questionnaire_id>/results")
@staff_required
def results_view(questionnaire_id: int):
    return _results_page(questionnaire_or_404(questionnaire_id), staff=True)


@staff_bp.get("/<int:questionnaire_id>/answers.xlsx")
@staff_required
def answers_export(questionnaire_id: int):
    q = questionnaire_or_404(questionnaire_id)
    return send_generated(results.answers_xlsx(q), XLSX, file_stem(q) + "-answers.xlsx")


@staff_bp.post("/answers/<answer_id>/item")
@staff_required
def answer_to_item(answer_id: str):
    answer = db.session.get(Answer, answer_id) if len(answer_id) <= 32 else None
    if answer is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    q = answer.question.questionnaire
    try:
        item = services.answer_to_item(answer, current_user.id, current_app.config["TRACKING_PREFIX"])
        db.session.commit()
    except services.QuestionnaireError as exc:
        db.session.rollback()
        flash(str(exc))
    else:
        flash(_("The answer is now item %(code)s.", code=item.tracking_code))
    back = url_for("surveys.results_view", questionnaire_id=q.id, **request.args)
    return redirect(back + f"#question-{answer.question.name}", 303)


# --- the unit's liaison ----------------------------------------------------------------------------


def _published_for_unit() -> list[Questionnaire]:
    return [q for q in results.questionnaires_of_unit_any_cycle(current_user.unit_id) if q.results_published]


@unit_bp.get("/")
@liaison_required
def unit_list():
    return render_template("surveys/unit_list.html", questionnaires=_published_for_unit())


@unit_bp.get("/<int:questionnaire_id>")
@liaison_required
def unit_results(questionnaire_id: int):
    q = services.questionnaire(questionnaire_id)
    if q is None or not services.may_read_results(current_user, q):
        abort(404)
    return _results_page(q, staff=False)
