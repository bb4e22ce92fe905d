"""Who may see a report's progress page: the browser session that proved it knows the code and
secret (the lookup form, or the confirmation page right after submitting), or that brought a
one-time link from one of our mails. The secret itself never travels in a URL, so it is in no
access log, browser history or Referer header.

A view lasts VIEW_MINUTES after the last page of it was opened, in that browser session only;
switching language keeps it (the session holds it, not the URL)."""

import hashlib
import secrets
import time
from datetime import timedelta

from flask import session
from sqlalchemy import select, update

from intake.extensions import db
from intake.feedback.models import FeedbackItem, TrackingLink
from intake.feedback.services import normalize_tracking_code
from intake.timeutil import utcnow

VIEW_KEY = "tracked"
VIEW_MINUTES = 30
MAX_VIEWS = 5  # reports one browser session may hold open at once
LINK_DAYS = 180  # a mail's link works once, within this many days


def grant(item: FeedbackItem) -> None:
    views = {k: v for k, v in (session.get(VIEW_KEY) or {}).items() if v > time.time()}
    views[str(item.id)] = int(time.time()) + VIEW_MINUTES * 60
    session[VIEW_KEY] = dict(sorted(views.items(), key=lambda kv: kv[1])[-MAX_VIEWS:])


def viewable(code: str) -> FeedbackItem | None:
    """The item with this tracking code, if this session may see it (its view is renewed)."""
    views = session.get(VIEW_KEY) or {}
    item = db.session.scalar(select(FeedbackItem).where(FeedbackItem.tracking_code == normalize_tracking_code(code)))
    if item is None or views.get(str(item.id), 0) <= time.time():
        return None
    grant(item)
    return item


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue_link(item: FeedbackItem) -> str:
    """A new one-time token for a mail about `item` (committed with the caller's transaction)."""
    token = secrets.token_urlsafe(24)
    db.session.add(TrackingLink(item_id=item.id, token_sha256=_digest(token)))
    db.session.flush()
    return token


def redeem_link(token: str) -> FeedbackItem | None:
    """The item of an unspent, unexpired token, spending it; None otherwise. Two clicks racing
    each other: one wins (the UPDATE only takes a row still unspent)."""
    if not token or len(token) > 64:
        return None
    now = utcnow()
    item_id = db.session.scalar(
        update(TrackingLink)
        .where(
            TrackingLink.token_sha256 == _digest(token),
            TrackingLink.used_at.is_(None),
            TrackingLink.created_at > now - timedelta(days=LINK_DAYS),
        )
        .values(used_at=now)
        .returning(TrackingLink.item_id)
    )
    return db.session.get(FeedbackItem, item_id) if item_id is not None else None
