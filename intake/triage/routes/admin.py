"""The admin pages of triage: classification rules and reply templates."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from intake.core.downloads import send_generated
from intake.extensions import db
from intake.reference.models import Category, Unit
from intake.reference.services import unit_order
from intake.security import admin_required
from intake.triage import bp, suggestions
from intake.triage.forms import RulesForm, TemplateForm, UnitSheetForm
from intake.triage.services import reporter_replies, unit_sheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/admin/rules", methods=["GET", "POST"])
@admin_required
def admin_rules():
    form = RulesForm()
    if form.validate_on_submit():
        suggestions.set_auto_apply_threshold(float(form.threshold.data), current_user.id)
        for unit in db.session.query(Unit):
            value = request.form.get(f"unit-{unit.id}")
            if value is not None:
                suggestions.update_unit_aliases(unit.id, value)
            duties = request.form.get(f"duties-{unit.id}")
            if duties is not None:
                suggestions.update_unit_duties(unit.id, duties)
        for category in db.session.query(Category):
            value = request.form.get(f"category-{category.id}")
            if value is not None:
                suggestions.update_category_keywords(category.id, value)
        db.session.commit()
        flash(_("Rules saved."))
        return redirect(url_for("triage.admin_rules"), code=303)
    if request.method == "GET":
        form.threshold.data = round(suggestions.auto_apply_threshold(), 2)
    return _rules_page(form, UnitSheetForm(), 400 if request.method == "POST" else 200)


def _rules_page(form: RulesForm, sheet_form: UnitSheetForm, status: int, sheet_error: str | None = None):
    units = db.session.query(Unit).order_by(*unit_order()).all()
    categories = (
        db.session.query(Category).order_by(Category.parent_id.is_not(None), Category.sort_order, Category.id).all()
    )
    page = render_template(
        "triage/admin_rules.html",
        form=form,
        sheet_form=sheet_form,
        sheet_error=sheet_error,
        units=units,
        categories=categories,
        calibration=suggestions.calibration(),
    )
    return page, status


@bp.get("/admin/units.xlsx")
@admin_required
def export_units():
    return send_generated(unit_sheet.export_units(), XLSX, "units.xlsx")


@bp.post("/admin/units/import")
@admin_required
def import_units():
    sheet_form = UnitSheetForm()
    error = None
    if sheet_form.validate_on_submit():
        try:
            result = unit_sheet.import_units(sheet_form.sheet.data.read())
        except unit_sheet.UnitSheetError as e:
            db.session.rollback()
            error = _("The unit list was not loaded: %(reason)s", reason=_sheet_reason(e))
        else:
            db.session.commit()
            flash(
                _("Unit list loaded: %(updated)d updated, %(added)d added.", updated=result.updated, added=result.added)
            )
            return redirect(url_for("triage.admin_rules"), code=303)
    form = RulesForm(formdata=None)
    form.threshold.data = round(suggestions.auto_apply_threshold(), 2)
    return _rules_page(form, sheet_form, 400, error)


_SHEET_PROBLEMS = {
    "missing-columns": _l("the first row lacks the columns %(detail)s"),
    "empty": _l("row %(row)s: %(detail)s is empty"),
    "too-long": _l("row %(row)s: code or name too long"),
    "twice": _l("row %(row)s: a code or name appears twice"),
    "flag": _l("row %(row)s: %(detail)s must be yes or no"),
    "too-many": _l("more than %(row)s rows"),
    "name-taken": _l("row %(row)s: the name belongs to another unit"),
}


def _sheet_reason(error: "unit_sheet.UnitSheetError") -> str:
    message = _SHEET_PROBLEMS.get(error.kind)
    if message is None:
        return _("the file is not an xlsx workbook")
    return str(message) % {"row": error.row, "detail": error.detail}


@bp.route("/admin/templates", methods=["GET", "POST"])
@admin_required
def admin_templates():
    templates = reporter_replies.reply_templates()
    forms = {t.code: TemplateForm(prefix=f"t-{t.code}", obj=t) for t in templates}
    new_form = TemplateForm(prefix="new")
    edited = request.form.get("template_code") if request.method == "POST" else None
    if edited == "":
        if new_form.validate_on_submit():
            data = new_form.name.data, new_form.subject.data, new_form.body.data
            reporter_replies.add_template(*data, current_user.id)
            db.session.commit()
            flash(_("Template added."))
            return redirect(url_for("triage.admin_templates"), code=303)
    elif edited is not None:
        form = forms.get(edited) or abort(404)
        if form.validate_on_submit():
            reporter_replies.update_template(edited, form.name.data, form.subject.data, form.body.data, current_user.id)
            db.session.commit()
            flash(_("Template saved."))
            return redirect(url_for("triage.admin_templates"), code=303)
    page = render_template("triage/admin_templates.html", templates=templates, forms=forms, new_form=new_form)
    return page, (400 if edited is not None else 200)
