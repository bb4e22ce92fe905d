"""Two-factor sign-in for staff and admins: a TOTP code from a phone app (RFC 6238, 30-second
steps, the common apps: Google/Microsoft Authenticator, FreeOTP, 腾讯身份验证器) after the
password, or one of ten recovery codes. A code is accepted once (its time step is remembered)."""

import hashlib
import secrets
import time

from sqlalchemy import delete, select, update

from intake.auth.models import RecoveryCode, User
from intake.extensions import db
from intake.timeutil import utcnow

ISSUER = "intake"
RECOVERY_CODES = 10


def new_secret() -> str:
    import pyotp

    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str, issuer: str = ISSUER) -> str:
    import pyotp

    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def _matching_step(secret: str, code: str) -> int | None:
    """The time step the code belongs to (now, or one step either side for clock drift)."""
    import pyotp

    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    for step in (now, now - 1, now + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_matches(secret: str, code: str) -> bool:
    """For enrolment: the first code shows the phone holds the secret."""
    return _matching_step(secret, code) is not None


def enable(user: User, secret: str) -> list[str]:
    """Turn two-factor sign-in on with a confirmed secret; returns new recovery codes, shown once."""
    user.totp_secret = secret
    user.totp_last_step = None
    return new_recovery_codes(user)


def disable(user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.randbelow(10**10):010d}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_sha256=_digest(c)) for c in codes)
    db.session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def _digest(code: str) -> str:
    return hashlib.sha256("".join(ch for ch in code if ch.isdigit()).encode()).hexdigest()


def verify(user: User, code: str) -> bool:
    """A TOTP code not used before, or an unspent recovery code (spent now). Two requests racing
    with the same code: one wins (each UPDATE takes the row only while still unspent)."""
    if not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code)
    if step is not None:
        taken = db.session.execute(
            update(User)
            .where(User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
            .values(totp_last_step=step)
        ).rowcount
        return taken == 1
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_sha256 == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    ).rowcount
    return spent == 1


def recovery_codes_left(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )
