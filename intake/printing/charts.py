"""Charts as SVG with their labels as text (so a PDF's text extracts and a screen reader reads
them), drawn by pygal in the Noto CJK fonts the printed documents embed. The same SVG serves a
web page (as an <img>, through `data_uri`) and a PDF (inline, through WeasyPrint)."""

import base64
import re
from collections.abc import Sequence

FONT = "Noto Sans CJK SC, Noto Sans CJK TC, sans-serif"
COLOURS = ("#2e7d32", "#f9a825", "#c62828", "#1565c0", "#6a1b9a", "#00838f", "#5d4037", "#546e7a")
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _style():
    from pygal.style import Style

    return Style(
        font_family=FONT,
        background="white",
        plot_background="white",
        colors=COLOURS,
        title_font_size=16,
        label_font_size=12,
        major_label_font_size=12,
        legend_font_size=13,
        value_font_size=12,
    )


def _config(**options) -> dict:
    # js=[]: no external script; the inline config script pygal still writes is removed below.
    return {
        "style": _style(),
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": True,
        "width": 640,
        "height": 360,
        "print_values": True,
        **options,
    }


def _finish(chart) -> str:
    svg = chart.render(is_unicode=True)
    return _COMMENT.sub("", _SCRIPT.sub("", svg))


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    series: str = "",
    x_title: str = "",
    y_title: str = "",
) -> str:
    """One series of bars, one per label; the legend names the series."""
    import pygal

    chart = pygal.Bar(**_config(x_title=x_title or None, y_title=y_title or None, show_legend=bool(series)))
    chart.title = title
    chart.x_labels = [str(label) for label in labels]
    chart.add(series or title, list(values))
    return _finish(chart)


def stacked_bar_chart(
    title: str, labels: Sequence[str], series: dict[str, Sequence[float]], *, y_title: str = ""
) -> str:
    """Several series stacked per label (e.g. grades per unit); the legend names each series."""
    import pygal

    chart = pygal.StackedBar(**_config(y_title=y_title or None, legend_at_bottom=True))
    chart.title = title
    chart.x_labels = [str(label) for label in labels]
    for name, values in series.items():
        chart.add(name, list(values))
    return _finish(chart)


def pie_chart(title: str, labels: Sequence[str], values: Sequence[float]) -> str:
    """One slice per label; the legend names the slices."""
    import pygal

    chart = pygal.Pie(**_config(legend_at_bottom=True))
    chart.title = title
    for label, value in zip(labels, values, strict=True):
        chart.add(str(label), [value])
    return _finish(chart)


def data_uri(svg: str) -> str:
    """For <img src=…> on a web page: the page's CSP allows data: images, and an SVG shown as
    an image runs no script and loads nothing."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
