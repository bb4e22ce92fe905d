"""QR codes (segno) for the links printed on posters and plaques: SVG for documents and pages,
PNG for whoever needs a picture."""

import io


def _code(url: str):
    import segno

    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, *, scale: int = 4) -> str:
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode("utf-8")


def qr_png(url: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
