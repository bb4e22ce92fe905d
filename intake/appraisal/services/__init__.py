"""Write operations and queries of the democratic appraisal (民主评议). Services take plain
values, flush, and leave the commit to the route or command."""

from flask_babel import lazy_gettext as _l


class AppraisalError(ValueError):
    """A step the appraisal does not allow; the message is shown to the user, beside `field`
    (a form field's name) when one value is at fault."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


class ResultsHidden(AppraisalError):
    """Results asked for before the session is closed, quorate and counted (403 for everyone)."""


HIDDEN_MESSAGE = _l(
    "The results stay sealed until the session is closed, the quorum is met and the tellers have opened the ballots."
)
