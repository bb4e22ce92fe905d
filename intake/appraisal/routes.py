"""The appraisal's views, attached to its blueprints, and the template filter its pages share."""

from intake.appraisal import routes_ballot, routes_year, staff_bp  # noqa: F401 - attaches the views
from intake.printing.charts import data_uri


@staff_bp.app_template_filter("svg_data_uri")
def svg_data_uri(svg: str) -> str:
    return data_uri(svg)
