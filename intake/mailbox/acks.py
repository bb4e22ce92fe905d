"""Receipts (回执): whether an item may get one, and at most one acknowledgement per sender
address per ACK_WINDOW_HOURS, enforced in Redis so that every worker sees the same window (a
mail loop or a flood never becomes a reply storm)."""

import hashlib

from redis import Redis

from intake.feedback.models import FeedbackItem, Source
from intake.mailbox.outgoing import mail_configured
from intake.mailbox.threads import asked_for_receipt, is_bouncing

KEY_PREFIX = "intake:ack:"


def receipt_blocker(item: FeedbackItem) -> str | None:
    """Why no receipt can go to the reporter of `item` (None: one may, subject to the window).
    Read from the database only, so the parse job can skip the follow-up job of items that
    will never get one."""
    reporter = item.reporter
    if item.acknowledged_at is not None:
        return "already acknowledged"
    if reporter is None or not reporter.email or reporter.wants_anonymity:
        return "no address"
    if item.is_auto:
        # RFC 3834: never answer mail no person wrote (auto-replies, bounces, lists).
        return "auto mail"
    if item.source is Source.email and not asked_for_receipt(item.id):
        # Imported mail (`intake import` without --acknowledge): the sender was answered long ago.
        return "imported"
    if is_bouncing(reporter.email):
        return "address bounces"
    if not mail_configured():
        return "smtp not configured"
    return None


def _key(address: str) -> str:
    # Hashed: the key names no reporter in Redis dumps or monitoring.
    return KEY_PREFIX + hashlib.sha256(address.strip().lower().encode()).hexdigest()


def take_acknowledgement_slot(redis: Redis, address: str, item_id: int, window_hours: int) -> bool:
    """True when this item may acknowledge to `address`: the first in the window takes the slot
    (SET NX EX); a retry of the same item's job keeps it, so a failed send is retried."""
    key = _key(address)
    if redis.set(key, str(item_id), nx=True, ex=max(1, int(window_hours * 3600))):
        return True
    holder = redis.get(key)
    return holder is not None and holder.decode() == str(item_id)
