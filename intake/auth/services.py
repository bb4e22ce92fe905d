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
    check_password_rules(password)
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


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"password must have at most {MAX_PASSWORD_LENGTH} characters")


def set_password(user_id: int, new_password: str) -> None:
    """Give the account a new password and end all its sessions (a leaked cookie goes
    with the leaked password)."""
    check_password_rules(new_password)
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError(f"no user with id {user_id}")
    user.set_password(new_password)
    db.session.flush()
    revoke_sessions(user_id)


class WrongPassword(AccountError):
    pass


def change_own_password(user_id: int, current_password: str, new_password: str) -> None:
    user = db.session.get(User, user_id)
    if user is None or not user.check_password(current_password):
        raise WrongPassword("the current password is wrong")
    set_password(user_id, new_password)


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
