"""Routes of the annual program: thin; each reads input, calls one service, commits, renders."""
from intake.program import public_bp, staff_bp  # noqa: F401
