"""At most one acknowledgement per sender address per ACK_WINDOW_HOURS, enforced in Redis so
that every worker sees the same window (a mail loop or a flood never becomes a reply storm)."""
import hashlib

from redis import Redis

KEY_PREFIX = "intake:ack:"


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
