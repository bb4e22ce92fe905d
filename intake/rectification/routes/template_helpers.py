"""Globals and filters the templates call: routing on the staff item page, the outcome on the
public status page, masking in the unit's portal, the admins' calendar banner."""

from flask_babel import gettext as _

from intake.feedback.models import FeedbackItem
from intake.rectification import public_bp, staff_bp, unit_bp
from intake.rectification.forms import RatingForm, RouteForm
from intake.rectification.services import deadlines, reporter_rating, routing, visibility
from intake.reference.services import staff_unit_choices


@staff_bp.app_template_global()
def rectification_for_item(item: FeedbackItem, posted: RouteForm | None = None) -> dict:
    """What the staff item page shows about routing: the item's tasks and the route form (the
    one just `posted`, with its errors and what was typed, when it was refused)."""
    form = (
        posted if posted is not None else RouteForm(formdata=None, data={"item_id": item.id, "unit_id": item.unit_id})
    )
    form.unit_id.choices = staff_unit_choices(_("Choose a unit"))
    open_tasks = routing.open_tasks_of_unit(item.unit_id) if item.unit_id else []
    form.task_id.choices = [(0, _("A new task"))] + [(t.id, t.code + " " + t.problem[:30]) for t in open_tasks]
    return {
        "tasks": routing.tasks_of_item(item.id),
        "form": form,
        "can_route": not item.status.is_final and routing.open_task_of_item(item.id) is None,
    }


@public_bp.app_template_global()
def rectification_outcome(item: FeedbackItem):
    return reporter_rating.outcome_for_item(item)


@unit_bp.app_template_filter("unit_mask")
def unit_mask(text, task):
    return visibility.mask_for_task(text, task)


@staff_bp.app_template_global()
def rating_form():
    return RatingForm()


@staff_bp.app_template_global()
def missing_calendar_years() -> list[int]:
    """Years in use that nobody has the holiday schedule for (the admins' banner)."""
    return deadlines.missing_calendar_years()
