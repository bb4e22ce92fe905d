"""Translations: every message in the code has a Simplified translation, the Traditional catalog
is derived from it, and pages render in all three languages."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from zhconv import convert

from intake import i18n_build
from intake.i18n import locale_from_header_value

ROOT = Path(__file__).resolve().parent.parent
# flask-babel's lazy and plain gettext names, on top of Babel's defaults (_, gettext, ngettext...).
KEYWORDS = {"_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def extracted_messages() -> dict[str, list[str]]:
    """msgid -> where it is used, as `pybabel extract -F babel.cfg` would find them."""
    from babel.messages.extract import DEFAULT_KEYWORDS

    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={**DEFAULT_KEYWORDS, **KEYWORDS}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def read_catalog(path: Path, locale: str):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


@pytest.fixture(scope="module")
def messages():
    found = extracted_messages()
    assert len(found) > 100  # the extraction itself works
    return found


def test_every_message_has_a_simplified_translation(messages):
    catalog = read_catalog(i18n_build.SIMPLIFIED, "zh_Hans")
    missing = {msgid: where for msgid, where in messages.items() if msgid not in catalog}
    empty = {msgid: messages[msgid] for msgid in messages if msgid in catalog and not catalog[msgid].string}
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == {}, "msgids without an entry in zh_Hans/messages.po"
    assert empty == {}, "msgids with an empty translation"
    assert fuzzy == []


def test_translations_keep_the_placeholders(messages):
    catalog = read_catalog(i18n_build.SIMPLIFIED, "zh_Hans")
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check() if errors]
    assert problems == []


def test_no_message_is_built_with_an_f_string():
    # `_(f"...")` would extract nothing and translate nothing.
    offenders = []
    for path in list((ROOT / "intake").rglob("*.py")) + list((ROOT / "workers").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for token in ('_(f"', "_(f'", '_l(f"', "_l(f'", 'gettext(f"', "gettext(f'"):
            if token in text:
                offenders.append(f"{path.relative_to(ROOT)}: {token}")
    assert offenders == []


def test_traditional_catalog_is_derived_from_the_simplified_one(tmp_path, monkeypatch):
    derived_path = tmp_path / "zh_Hant" / "LC_MESSAGES" / "messages.po"
    monkeypatch.setattr(i18n_build, "TRADITIONAL", derived_path)
    i18n_build.derive_traditional()
    simplified = read_catalog(i18n_build.SIMPLIFIED, "zh_Hans")
    derived = read_catalog(derived_path, "zh_Hant")
    assert {m.id for m in derived if m.id} == {m.id for m in simplified if m.id}
    for message in simplified:
        if message.id:
            assert derived[message.id].string == convert(message.string, "zh-tw")
    assert derived["Pending acceptance"].string == "待受理"
    assert derived["Wrong username or password."].string == "用戶名或密碼錯誤。"


def test_compiled_catalogs_are_current():
    # The app reads the .mo files; `python -m intake.i18n_build` (make test / make run) writes them.
    simplified = read_catalog(i18n_build.SIMPLIFIED, "zh_Hans")
    for locale in ("zh_Hans", "zh_Hant"):
        mo_path = i18n_build.TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
        assert mo_path.exists(), f"{mo_path} missing: run python -m intake.i18n_build"
        with mo_path.open("rb") as f:
            compiled = read_mo(f)
        expected = {m.id: m.string for m in simplified if m.id}
        if locale == "zh_Hant":
            expected = {k: convert(v, "zh-tw") for k, v in expected.items()}
        actual = {m.id: m.string for m in compiled if m.id}
        assert actual == expected, f"{locale}: messages.mo is older than messages.po; run python -m intake.i18n_build"


PAGES = ["/jiandu/", "/jiandu/track", "/auth/login"]
KNOWN = {
    "zh_Hans": ("zh-Hans", "我要反映", "查询进度"),
    "zh_Hant": ("zh-Hant", "我要反映", "查詢進度"),
    "en": ("en", "Submit a report", "Check progress"),
}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # about templates, not the database
@pytest.mark.parametrize("locale", list(KNOWN))
@pytest.mark.parametrize("page", PAGES)
def test_pages_render_in_each_language(client, page, locale):
    html_lang, *strings = KNOWN[locale]
    response = client.get(f"{page}?lang={locale}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{html_lang}">' in html
    for s in strings:
        assert s in html


def test_reference_names_follow_the_language(client):
    assert "县政务服务管理局" in client.get("/jiandu/").get_data(as_text=True)
    assert "縣政務服務管理局" in client.get("/jiandu/?lang=zh_Hant").get_data(as_text=True)
    assert "County Government Service Management Bureau" in client.get("/jiandu/?lang=en").get_data(as_text=True)


@pytest.mark.parametrize(
    "tag, locale",
    [
        ("zh-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-Hans-CN", "zh_Hans"),
        ("zh_SG", "zh_Hans"),
        ("zh-TW", "zh_Hant"),
        ("zh-HK", "zh_Hant"),
        ("zh-MO", "zh_Hant"),
        ("zh-Hant", "zh_Hant"),
        ("en-US", "en"),
        ("EN", "en"),
        ("fr-FR", None),
        ("", None),
    ],
)
def test_browser_language_tags(tag, locale):
    assert locale_from_header_value(tag) == locale


def test_unknown_lang_parameter_is_ignored(client):
    html = client.get("/jiandu/?lang=xx", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Submit a report" in html


def test_locale_outside_a_request_is_the_default(app_ctx):
    # Jobs and CLI commands render names and labels too.
    from flask_babel import force_locale, get_locale

    from intake.feedback.models import ItemStatus

    assert str(get_locale()) == "zh_Hans"
    assert ItemStatus.pending.label == "待受理"
    with force_locale("en"):
        assert ItemStatus.pending.label == "Pending acceptance"


def test_no_message_is_translated_twice():
    """Features append their entries to the catalog; a second entry for the same English text
    would be silently ignored (the first wins), so its translation would never show."""
    import collections
    import re
    from pathlib import Path

    po = Path(__file__).resolve().parent.parent / "intake/translations/zh_Hans/LC_MESSAGES/messages.po"
    ids = re.findall(r'^msgid ("(?:[^"\\]|\\.)*"(?:\n"(?:[^"\\]|\\.)*")*)', po.read_text(encoding="utf-8"), re.M)
    twice = [msgid for msgid, n in collections.Counter(ids).items() if n > 1 and msgid != '""']
    assert twice == []
