"""HTML → A4 PDF with WeasyPrint. Every document extends templates/printing/base.html, which
sets the page (A4, the committee's name on top, "第 N 页 共 M 页" below) and the Noto CJK
fonts, so the PDF embeds them and prints the same on any machine."""

from datetime import date

from flask import current_app, render_template

from intake.printing.dates import chinese_date


class PrintingUnavailable(RuntimeError):
    """WeasyPrint or its Pango libraries are missing on this machine."""


def _refuse_fetch(url: str, timeout: int = 10, ssl_context=None):
    # Documents carry user text; nothing in them may make the server fetch a file or a URL.
    raise ValueError("external resources are not loaded in printed documents")


def document_context(issued_on: date) -> dict:
    """What every printed document shows besides its own content."""
    return {
        "committee_name": current_app.config["COMMITTEE_NAME"],
        "issued_on": issued_on,
        "issued_on_text": chinese_date(issued_on),
    }


def render_html(template: str, *, issued_on: date, **context) -> str:
    return render_template(template, **document_context(issued_on), **context)


def html_to_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango not installed
        raise PrintingUnavailable(str(exc)) from exc
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()


def render_pdf(template: str, *, issued_on: date, **context) -> bytes:
    return html_to_pdf(render_html(template, issued_on=issued_on, **context))
