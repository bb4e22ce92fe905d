"""The year's notice (通报) of a unit and of the whole county, and the plaque (民主评议牌匾):
their content, as HTML pages and as PDFs through the printing pipeline, charts as SVG."""

from dataclasses import dataclass
from datetime import date

from flask import current_app, url_for
from flask_babel import gettext as _

from intake.appraisal.facts import UnitYearFacts, year_facts
from intake.appraisal.models import GRADE_PLAQUE_WORDS, Grade, HandedOpinion, UnitResult
from intake.appraisal.services.opinions import notice_of, opinions_of
from intake.appraisal.services.results import grades_chart, latest_result
from intake.printing.charts import bar_chart, pie_chart
from intake.printing.pdf import html_to_pdf, render_html
from intake.printing.qr import qr_svg
from intake.program.models import CycleUnit, SupervisionCycle
from intake.timeutil import local_today


@dataclass
class UnitNoticeContent:
    cycle_unit: CycleUnit
    facts: UnitYearFacts
    result: UnitResult | None
    opinions: list[HandedOpinion]
    charts: dict[str, str]

    @property
    def grade_words(self) -> str:
        return GRADE_PLAQUE_WORDS[self.result.grade] if self.result and self.result.grade else ""


def _charts(facts: UnitYearFacts, result: UnitResult | None) -> dict[str, str]:
    charts = {}
    if result is not None:
        charts["ballots"] = bar_chart(
            _("Ballots of the standing committee"),
            [g.label for g in Grade] + [_("Abstained")],
            [result.satisfied, result.basic, result.dissatisfied, result.abstained],
            series=_("Ballots cast"),
            x_title=_("Grade"),
            y_title=_("Ballots"),
        )
    if facts.items_by_category:
        labels, values = zip(*facts.items_by_category)
        charts["items"] = bar_chart(
            _("Reports by category"),
            labels,
            values,
            series=_("Reports received"),
            x_title=_("Category"),
            y_title=_("Reports"),
        )
    if facts.tasks_by_status:
        labels, values = zip(*facts.tasks_by_status)
        charts["tasks"] = pie_chart(_("Rectification tasks by state"), labels, values)
    return charts


def unit_notice(cycle_unit: CycleUnit) -> UnitNoticeContent:
    facts = year_facts(cycle_unit)
    result = latest_result(cycle_unit.id)
    return UnitNoticeContent(
        cycle_unit=cycle_unit,
        facts=facts,
        result=result,
        opinions=opinions_of(cycle_unit.id),
        charts=_charts(facts, result),
    )


def county_notice(cycle: SupervisionCycle) -> dict:
    contents = [unit_notice(cu) for cu in cycle.units]
    results = [c.result for c in contents if c.result is not None]
    return {
        "cycle": cycle,
        "contents": contents,
        "grades_svg": grades_chart(results, _("Ballots per unit")) if results else "",
    }


def public_url(cycle_unit: CycleUnit) -> str:
    path = url_for("appraisal_public.unit_public", year=cycle_unit.cycle.year, code=cycle_unit.unit.code)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _issued_on(cycle_unit: CycleUnit | None) -> date:
    notice = notice_of(cycle_unit.id) if cycle_unit is not None else None
    return notice.issued_at.date() if notice is not None else local_today()


def unit_notice_html(content: UnitNoticeContent, *, for_print: bool = False) -> str:
    return render_html(
        "appraisal/print/notice_unit.html",
        issued_on=_issued_on(content.cycle_unit),
        c=content,
        for_print=for_print,
    )


def unit_notice_pdf(cycle_unit: CycleUnit) -> bytes:
    return html_to_pdf(unit_notice_html(unit_notice(cycle_unit), for_print=True))


def county_notice_html(cycle: SupervisionCycle, *, for_print: bool = False) -> str:
    return render_html(
        "appraisal/print/notice_county.html", issued_on=local_today(), for_print=for_print, **county_notice(cycle)
    )


def county_notice_pdf(cycle: SupervisionCycle) -> bytes:
    return html_to_pdf(county_notice_html(cycle, for_print=True))


def plaque_pdf(cycle_unit: CycleUnit) -> bytes:
    """A3 landscape: the unit's name, the year, 政协民主评议 and its grade (满意单位, …), a QR code
    to the unit's public page."""
    result = latest_result(cycle_unit.id)
    words = GRADE_PLAQUE_WORDS[result.grade] if result and result.grade else ""
    html = render_html(
        "appraisal/print/plaque.html",
        issued_on=_issued_on(cycle_unit),
        cycle_unit=cycle_unit,
        grade_words=words,
        qr=qr_svg(public_url(cycle_unit), scale=6),
        url=public_url(cycle_unit),
    )
    return html_to_pdf(html)
