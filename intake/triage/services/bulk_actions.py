"""One action on a selection of items from the queue."""
from dataclasses import dataclass, field

from sqlalchemy import select

from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import FeedbackItem, ItemStatus
from intake.triage.services import TriageError
from intake.triage.services.item_actions import assign_item

BULK_ACTIONS = ("assign", "unit", "category", "invalid", "route")


@dataclass
class BulkResult:
    done: int = 0
    skipped: list[str] = field(default_factory=list)  # tracking codes left as they were


def bulk_apply(item_ids: list[int], action: str, actor_id: int, *, assignee_id: int | None = None,
               unit_id: int | None = None, category_id: int | None = None, problem: str | None = None,
               requirement: str | None = None) -> BulkResult:
    """One action on a selection of items. Items the action does not fit (e.g. a final item
    marked invalid) are skipped and named; routing puts them all in one rectification task."""
    from intake.triage import suggestions

    items = list(db.session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_(item_ids)).order_by(FeedbackItem.id)))
    result = BulkResult()
    if action == "route":
        from intake.rectification import services as rectification
        from intake.rectification.services.routing import route_items_to_unit

        if not unit_id:
            raise TriageError("a unit is needed to route")
        routable = [i for i in items if not i.status.is_final]
        result.skipped = [i.tracking_code for i in items if i.status.is_final]
        if routable:
            try:
                route_items_to_unit([i.id for i in routable], unit_id, problem, requirement, actor_id)
            except rectification.RectificationError as exc:
                raise TriageError(str(exc)) from exc
        result.done = len(routable)
        return result
    for item in items:
        if action == "assign":
            assign_item(item, assignee_id, actor_id)
        elif action == "unit" and unit_id:
            suggestions.set_classification(item, actor_id, unit_id=unit_id)
        elif action == "category" and category_id:
            suggestions.set_classification(item, actor_id, category_id=category_id)
        elif action == "invalid" and ItemStatus.invalid in feedback_services.ALLOWED_TRANSITIONS[item.status]:
            feedback_services.change_status(item, ItemStatus.invalid, actor_id=actor_id, note=problem)
        else:
            result.skipped.append(item.tracking_code)
            continue
        result.done += 1
    db.session.flush()
    return result
