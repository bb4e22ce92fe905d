"""Staff hand a questionnaire out: its QR code (PNG, SVG) and A4 poster for a service window,
one-time codes for a closed group, and its results published to the unit's liaison."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from intake.core.downloads import send_generated
from intake.extensions import db
from intake.printing.pdf import PrintingUnavailable, render_pdf
from intake.printing.qr import qr_png, qr_svg
from intake.security import staff_required
from intake.surveys import services, staff_bp
from intake.surveys.forms import CodesForm, ConfirmForm, to_local
from intake.surveys.routes import file_stem, public_url, questionnaire_or_404
from intake.surveys.routes.build import edit_page
from intake.timeutil import local_today

# --- one-time codes, results published ----------------------------------------------------------------


@staff_bp.post("/<int:questionnaire_id>/codes")
@staff_required
def codes_generate(questionnaire_id: int):
    q = questionnaire_or_404(questionnaire_id)
    form = CodesForm()
    if not form.validate_on_submit():
        return edit_page(q, 400, codes=form)
    codes = services.generate_codes(q, form.count.data)
    db.session.commit()
    response = current_app.make_response(
        render_template("surveys/codes.html", q=q, codes=codes, public_url=public_url(q))
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@staff_bp.post("/<int:questionnaire_id>/publish")
@staff_required
def results_publish(questionnaire_id: int):
    q = questionnaire_or_404(questionnaire_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    published = request.form.get("published") == "1"
    services.set_results_published(q, published)
    db.session.commit()
    if published:
        flash(_("The results are published to the unit's liaison."))
    else:
        flash(_("The results are no longer shown to the unit's liaison."))
    return redirect(url_for("surveys.questionnaire_edit", questionnaire_id=q.id), 303)


# --- QR code and poster ----------------------------------------------------------------------------


@staff_bp.get("/<int:questionnaire_id>/qr.<any(png, svg):fmt>")
@staff_required
def qr_code(questionnaire_id: int, fmt: str):
    q = questionnaire_or_404(questionnaire_id)
    if fmt == "png":
        return send_generated(qr_png(public_url(q)), "image/png", file_stem(q) + ".png")
    return send_generated(qr_svg(public_url(q)).encode("utf-8"), "image/svg+xml", file_stem(q) + ".svg")


@staff_bp.get("/<int:questionnaire_id>/poster.pdf")
@staff_required
def poster(questionnaire_id: int):
    q = questionnaire_or_404(questionnaire_id)
    url = public_url(q)
    try:
        pdf = render_pdf(
            "printing/survey_poster.html",
            issued_on=local_today(),
            q=q,
            url=url,
            qr=qr_svg(url, scale=10),
            closes_on=to_local(q.closes_at).date(),
        )
    except PrintingUnavailable:
        abort(503)
    return send_generated(pdf, "application/pdf", file_stem(q) + ".pdf")
