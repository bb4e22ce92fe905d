"""Saved views: a staff member's named queue filters."""

from sqlalchemy import select

from intake.extensions import db
from intake.triage.models import SavedView
from intake.triage.services import TriageError


def saved_views(user_id: int) -> list[SavedView]:
    return list(db.session.scalars(select(SavedView).where(SavedView.user_id == user_id).order_by(SavedView.name)))


def save_view(user_id: int, name: str, query: str) -> SavedView:
    name = name.strip()[:100]
    if not name:
        raise TriageError("a view needs a name")
    view = db.session.scalar(select(SavedView).where(SavedView.user_id == user_id, SavedView.name == name))
    if view is None:
        view = SavedView(user_id=user_id, name=name, query="")
        db.session.add(view)
    view.query = query[:2000]
    db.session.flush()
    return view


def delete_view(user_id: int, view_id: int) -> None:
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != user_id:
        raise TriageError("no such view")
    db.session.delete(view)
    db.session.flush()
