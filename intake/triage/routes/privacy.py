"""Staff acting on a reporter's rights over their personal information (个人信息保护法): a copy
of everything kept about them, and erasure of their contact details, both recorded."""

import json

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.core.downloads import send_generated
from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.security import staff_required
from intake.triage import bp
from intake.triage.services import item_actions, privacy


@bp.post("/items/<int:item_id>/reporter/data")
@staff_required
def reporter_data(item_id: int):
    """Everything kept about the reporter, as JSON, for their request; the look is recorded."""
    item = db.get_or_404(FeedbackItem, item_id)
    item_actions.record_identity_view(item, current_user.id)
    db.session.commit()
    data = json.dumps(privacy.reporter_data(item), ensure_ascii=False, indent=2).encode("utf-8")
    return send_generated(data, "application/json", f"{item.tracking_code}-reporter-data.json")


@bp.post("/items/<int:item_id>/reporter/erase")
@staff_required
def erase_reporter(item_id: int):
    """Erase the reporter's contact details now (the reporter asked by phone or at the office)."""
    item = db.get_or_404(FeedbackItem, item_id)
    if not privacy.may_erase_on_request(item):
        flash(_("Contact details can be erased once the report is closed, and only while there are any."))
        return redirect(url_for("triage.item_detail", item_id=item.id), code=303)
    privacy.erase_contact(item, privacy.REQUESTED, actor_id=current_user.id)
    db.session.commit()
    flash(_("The reporter's contact details were erased. The report itself is kept."))
    return redirect(url_for("triage.item_detail", item_id=item.id), code=303)
