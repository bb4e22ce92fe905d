"""UI language: Simplified Chinese by default, Traditional Chinese and English on request.

The choice is made by `?lang=`, then a cookie, then the browser's Accept-Language."""

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_datetime, get_locale

LANG_COOKIE = "lang"
LANGUAGE_NAMES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}


def locale_from_header_value(value: str) -> str | None:
    """Map a browser language tag (zh-CN, zh-TW, zh-Hant-HK, en-US, ...) to a supported locale."""
    tag = value.strip().lower().replace("_", "-")
    if tag.startswith("zh"):
        if any(part in tag.split("-") for part in ("hant", "tw", "hk", "mo")):
            return "zh_Hant"
        return "zh_Hans"
    if tag.startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    if not has_request_context():
        # Jobs and CLI commands: the default, or whatever `force_locale` sets around them.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = current_app.config["LANGUAGES"]
    for candidate in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in supported:
            return candidate
    for value, _quality in request.accept_languages:
        locale = locale_from_header_value(value)
        if locale:
            return locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang() -> str:
    return {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}.get(str(get_locale()), "zh-Hans")


# One way to write a moment in both Chinese scripts (Babel's zh_Hant default is "上午9:12:35").
CHINESE_DATETIME = "y年M月d日 HH:mm"


def datetimeformat(value, format: str | None = None) -> str:
    if format is None and str(get_locale()).startswith("zh"):
        format = CHINESE_DATETIME
    return format_datetime(value, format or "medium")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetimeformat"] = datetimeformat

    @app.after_request
    def remember_language(response):
        chosen = request.args.get("lang")
        if chosen in app.config["LANGUAGES"] and request.cookies.get(LANG_COOKIE) != chosen:
            response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response

    @app.context_processor
    def language_context():
        locale = str(get_locale())
        return {
            "current_locale": locale,
            # "等次：满意" but "Grade: satisfied": a label's colon as each script writes it.
            "colon": "：" if locale.startswith("zh") else ": ",
            "language_names": LANGUAGE_NAMES,
            "html_lang": html_lang(),
        }
