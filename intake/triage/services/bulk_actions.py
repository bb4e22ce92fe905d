"""One action on a selection of items from the queue."""

from dataclasses import dataclass, field

from sqlalchemy import select

from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import FeedbackItem, ItemStatus
from intake.triage.services.item_actions import assign_item

# "route" is the ledger's (rectification.services.routing.route_selection), chosen by the view.
BULK_ACTIONS = ("assign", "unit", "category", "invalid", "route")


@dataclass
class BulkResult:
    done: int = 0
    skipped: list[str] = field(default_factory=list)  # tracking codes left as they were


def bulk_apply(
    item_ids: list[int],
    action: str,
    actor_id: int,
    *,
    assignee_id: int | None = None,
    unit_id: int | None = None,
    category_id: int | None = None,
    problem: str | None = None,
) -> BulkResult:
    """One action on a selection of items (not routing). Items the action does not fit (e.g. a
    final item marked invalid) are skipped and named."""
    from intake.triage import suggestions

    items = list(
        db.session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_(item_ids)).order_by(FeedbackItem.id))
    )
    result = BulkResult()
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
