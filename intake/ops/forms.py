"""The jobs page's one form: put a failed job back on its queue."""

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import InputRequired, Length


class RequeueForm(FlaskForm):
    queue = HiddenField(validators=[InputRequired(), Length(max=128)])
    job_id = HiddenField(validators=[InputRequired(), Length(max=128)])
