"""The admin pages of triage: classification rules and reply templates."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.extensions import db
from intake.reference.models import Category, Unit
from intake.reference.services import unit_order
from intake.security import admin_required
from intake.triage import bp, suggestions
from intake.triage.forms import RulesForm, TemplateForm
from intake.triage.services import reporter_replies


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
        for category in db.session.query(Category):
            value = request.form.get(f"category-{category.id}")
            if value is not None:
                suggestions.update_category_keywords(category.id, value)
        db.session.commit()
        flash(_("Rules saved."))
        return redirect(url_for("triage.admin_rules"), code=303)
    if request.method == "GET":
        form.threshold.data = round(suggestions.auto_apply_threshold(), 2)
    units = db.session.query(Unit).order_by(*unit_order()).all()
    categories = (
        db.session.query(Category).order_by(Category.parent_id.is_not(None), Category.sort_order, Category.id).all()
    )
    status = 400 if request.method == "POST" else 200
    return render_template("triage/admin_rules.html", form=form, units=units, categories=categories), status


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
