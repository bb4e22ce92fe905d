"""Account operations shared by the login page, the admins' users page and the CLI."""

import secrets

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
    user.must_change_password = False
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


# --- the admins' users page ------------------------------------------------------------------

# No 0/O, 1/l/I: a temporary password is read off a screen and typed in.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password(length: int = 14) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, func.lower(User.username))))


def update_user(
    user_id: int, actor_id: int, *, display_name: str, email: str | None, role: Role, unit_id: int | None
) -> User:
    """Change an account's name, mail address, role and unit. A change of role or unit ends the
    account's sessions (what it may see has changed). Admins cannot take away their own role."""
    user = _get(user_id)
    if (role is Role.liaison) != (unit_id is not None):
        raise AccountError("a unit liaison needs a unit, and only a liaison has one")
    if user_id == actor_id and role is not user.role:
        raise AccountError("you cannot change your own role")
    changed_access = role is not user.role or unit_id != user.unit_id
    user.display_name = display_name.strip() or user.username
    user.email = (email or "").strip() or None
    user.role, user.unit_id = role, unit_id
    db.session.flush()
    if changed_access:
        revoke_sessions(user_id)
    return user


def set_account_active(user_id: int, actor_id: int, active: bool) -> User:
    """Disable an account (it cannot sign in, and every session it has ends now) or enable it
    again."""
    user = _get(user_id)
    if user_id == actor_id and not active:
        raise AccountError("you cannot disable your own account")
    user.is_active_account = active
    db.session.flush()
    if not active:
        revoke_sessions(user_id)
    return user


def reset_password(user_id: int) -> str:
    """A new temporary password, returned to be shown once; the account must change it at its
    next sign-in, and every session it has ends now."""
    password = generate_password()
    set_password(user_id, password)
    _get(user_id).must_change_password = True
    db.session.flush()
    return password


def _get(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError(f"no user with id {user_id}")
    return user
