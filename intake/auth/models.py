"""Accounts of committee staff, members and unit liaisons."""

import enum
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, CheckConstraint, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false as sa_false

from intake.extensions import db
from intake.reference.models import Unit
from intake.timeutil import utcnow

_hasher = PasswordHasher()


_dummy_hash: str | None = None


def burn_password_check(password: str) -> None:
    """Spend the time of a real verification, for unknown usernames."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not-a-real-password")
    try:
        _hasher.verify(_dummy_hash, password)
    except VerificationError:
        pass


class Role(enum.Enum):
    admin = "admin"
    staff = "staff"  # 政协机关工作人员
    member = "member"  # 政协委员
    liaison = "liaison"  # 被监督单位联络员

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.admin: _l("Administrator"),
    Role.staff: _l("Committee staff"),
    Role.member: _l("Committee member"),
    Role.liaison: _l("Unit liaison"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # A liaison always belongs to exactly one unit; nobody else is bound to one.
        CheckConstraint(
            "(role = 'liaison' AND unit_id IS NOT NULL) OR (role <> 'liaison' AND unit_id IS NULL)",
            name="liaison_has_unit",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, create_constraint=True, length=16, name="role"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Set when an admin reset the password to a printed temporary one: the next sign-in goes
    # to the change-password page first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # Part of every session and remember cookie (see get_id); raising it makes all copies
    # taken before worthless on the server: logout, a password change, "sign out everywhere".
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret (base32) once enrolment is
    # confirmed with a first code; the last time step used, so a code works once.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    unit: Mapped[Unit | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher.check_needs_rehash(self.password_hash):
            self.set_password(password)
        return True

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.admin, Role.staff)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class RecoveryCode(db.Model):
    """One-time codes for signing in without the phone (lost, reset): only their SHA-256 is
    kept; a code is spent by its first use."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]
