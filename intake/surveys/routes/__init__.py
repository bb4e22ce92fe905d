"""Routes of the questionnaires: building (staff), answering (public), results (staff, liaison)."""

from flask import abort

from intake.surveys import services
from intake.surveys.models import Questionnaire


def questionnaire_or_404(questionnaire_id: int) -> Questionnaire:
    q = services.questionnaire(questionnaire_id)
    if q is None:
        abort(404)
    return q
