"""Staff forms of the mailbox."""

from flask_wtf import FlaskForm


class ReplayForm(FlaskForm):
    """Replay a quarantined message: no fields, the CSRF token is the point."""
