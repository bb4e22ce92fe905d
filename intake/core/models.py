"""Column helpers every domain's models share."""

import enum

from sqlalchemy import Enum


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    """An enum stored as a plain string with a CHECK constraint: portable across SQLite and
    PostgreSQL, and easy to extend in a migration."""
    return Enum(cls, native_enum=False, create_constraint=True, length=24, name=name)
