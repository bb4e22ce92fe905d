"""Charts are SVG whose labels are text and which carry no script; QR codes come as SVG and PNG
and differ per link."""

import base64
import re
import xml.etree.ElementTree as ET

from intake.printing.charts import bar_chart, data_uri, pie_chart, stacked_bar_chart
from intake.printing.qr import qr_png, qr_svg

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_bar_chart_labels_are_text_and_no_script_runs():
    svg = bar_chart("测评结果", ["满意", "基本满意", "不满意"], [30, 10, 2], series="票数", y_title="票数")
    words = texts(svg)
    for label in ("测评结果", "满意", "基本满意", "不满意", "票数"):
        assert label in words, (label, words)
    assert "<script" not in svg and "<!--" not in svg
    assert "Noto Sans CJK SC" in svg


def test_pie_and_stacked_charts_name_every_slice_and_series():
    pie = pie_chart("办事跑了几次", ["一次", "两次", "三次及以上"], [12, 5, 1])
    assert {"一次", "两次", "三次及以上"} <= set(texts(pie))
    stacked = stacked_bar_chart("各单位测评", ["县医保局", "县税务局"], {"满意": [20, 25], "不满意": [3, 1]})
    assert {"县医保局", "县税务局", "满意", "不满意"} <= set(texts(stacked))


def test_data_uri_round_trips_the_svg():
    svg = pie_chart("t", ["a"], [1])
    uri = data_uri(svg)
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).decode("utf-8") == svg


def test_qr_codes_are_svg_and_png():
    url = "https://zx.example.gov.cn/q/AbC123"
    svg = qr_svg(url)
    assert ET.fromstring(svg).tag == f"{SVG}svg"
    assert re.search(r"<path[^>]+d=", svg)
    png = qr_png(url)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert qr_svg("https://zx.example.gov.cn/q/other") != svg
