"""Routes of the questionnaires: building (staff), answering (public), results (staff, liaison)."""

import re

from flask import abort, current_app, url_for

from intake.surveys import services
from intake.surveys.models import Questionnaire


def questionnaire_or_404(questionnaire_id: int) -> Questionnaire:
    q = services.questionnaire(questionnaire_id)
    if q is None:
        abort(404)
    return q


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def public_url(q: Questionnaire) -> str:
    """The link behind the QR code, as printed on the poster."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("surveys_public.answer", token=q.token)


def file_stem(q: Questionnaire) -> str:
    """A download's name from the title, without the characters Windows refuses."""
    return re.sub(r"[\\/:*?\"<>|\s]+", "_", q.title)[:60] or f"questionnaire-{q.id}"
