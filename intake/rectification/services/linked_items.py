"""Items follow their task: each linked report moves through its own lifecycle as the task does."""

from intake.feedback import services as feedback_services
from intake.feedback.models import ALLOWED_TRANSITIONS, FeedbackItem, ItemStatus
from intake.rectification.services import RectificationError

_WORKING_ITEM_STATUSES = {ItemStatus.accepted, ItemStatus.routed, ItemStatus.rectifying, ItemStatus.closed}


def _item_path(start: ItemStatus, target: ItemStatus) -> list[ItemStatus]:
    """Shortest way through the item lifecycle, passing only through working statuses."""
    if start is target:
        return []
    frontier = [[start]]
    seen = {start}
    while frontier:
        nxt = []
        for path in frontier:
            for step in sorted(ALLOWED_TRANSITIONS[path[-1]], key=lambda s: s.value):
                if step in seen or (step is not target and step not in _WORKING_ITEM_STATUSES):
                    continue
                if step is target:
                    return path[1:] + [step]
                seen.add(step)
                nxt.append(path + [step])
        frontier = nxt
    raise RectificationError(f"item cannot go from {start.value} to {target.value}")


def _move_item(item: FeedbackItem, target: ItemStatus, actor_id: int | None, note: str | None = None) -> None:
    for step in _item_path(item.status, target):
        feedback_services.change_status(item, step, actor_id=actor_id, note=note)
