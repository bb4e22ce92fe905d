"""Build steps for the translation catalogs, run by the Makefile (no app needed).

zh_Hans/messages.po is written by hand; zh_Hant is derived from it with zhconv (zh-tw
vocabulary) at build time, so the two never drift apart. English is the source language."""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from zhconv import convert

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
SIMPLIFIED = TRANSLATIONS / "zh_Hans" / "LC_MESSAGES" / "messages.po"
TRADITIONAL = TRANSLATIONS / "zh_Hant" / "LC_MESSAGES" / "messages.po"


def derive_traditional() -> None:
    with SIMPLIFIED.open("rb") as f:
        catalog = read_po(f, locale="zh_Hans")
    catalog.locale = "zh_Hant"
    for message in catalog:
        if message.id and message.string:
            if isinstance(message.string, str):
                message.string = convert(message.string, "zh-tw")
            else:  # plural forms
                message.string = tuple(convert(form, "zh-tw") for form in message.string)
    TRADITIONAL.parent.mkdir(parents=True, exist_ok=True)
    with TRADITIONAL.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=True)


def compile_all() -> None:
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as f:
            catalog = read_po(f)
        with po_path.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)


if __name__ == "__main__":
    steps = {"derive": derive_traditional, "compile": compile_all}
    for name in sys.argv[1:] or ["derive", "compile"]:
        steps[name]()
