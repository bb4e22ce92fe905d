"""Account operations shared by the login page and the CLI."""

from sqlalchemy import func, select, update

from intake.auth.models import Role, User, burn_password_check
from intake.extensions import db
from intake.timeutil import utcnow


class AccountError(ValueError):
    pass


def create_user(
    username: str,
    password: str,
    role: Role,
    *,
    display_name: str | None = None,
    email: str | None = None,
    unit_id: int | None = None,
) -> User:
    username = username.strip()
    if not username:
        raise AccountError("username is empty")
    if len(password) < 8:
        raise AccountError("password must have at least 8 characters")
    if find_user(username) is not None:
        raise AccountError(f"user {username!r} exists")
    if (role is Role.liaison) != (unit_id is not None):
        raise AccountError("a unit liaison needs a unit, and only a liaison has one")
    user = User(
        username=username,
        display_name=display_name or username,
        email=email,
        role=role,
        unit_id=unit_id,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def authenticate(username: str, password: str) -> User | None:
    user = find_user(username)
    if user is None:
        # Hash anyway so a wrong username costs as long as a wrong password.
        burn_password_check(password)
        return None
    if not user.is_active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def revoke_sessions(user_id: int) -> None:
    """Sign the user out everywhere: every session and remember cookie issued before stops
    being accepted (the loader compares the version they carry)."""
    db.session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))
    db.session.flush()
