"""The public pages through the test client, on both databases: the form keeps what people typed
and says what is wrong in their language; uploads are checked; the status page shows no more
than it should."""

import io
import re

import pytest
from rq import Queue
from sqlalchemy import func, select

from intake.extensions import db
from intake.feedback import services
from intake.feedback.models import Attachment, FeedbackItem, ItemStatus, Reporter
from intake.redis_client import redis_connection
from tests.conftest import csrf_token_from
from tests.factories import EXE_HEAD, PDF_MINIMAL, PNG_1X1
from tests.helpers import form_values, open_progress, post_form

# Form checks and translations do not depend on the database: their long tables run on one.
one_backend = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

BODY = "县政务服务大厅3号窗口的工作人员态度冷漠，让我来回跑了三次才办成营业执照。"


@pytest.fixture
def filled(ref):
    """A complete, valid submission with every field typed in."""
    return {
        "kind": "report",
        "unit_id": str(ref.unit["gk"]),
        "category_id": str(ref.category["paoduoci"]),
        "subject": "办营业执照跑了三次",
        "body": BODY,
        "location": "政务服务大厅3号窗口，11月2日上午",
        "name": "张三",
        "phone": "138 0013 8000",
        "email": "zhangsan@example.cn",
        "consent": "y",
    }


def item_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(FeedbackItem.id)))


def errors_in(html: str) -> list[str]:
    return re.findall(r'<ul class="errors" id="[^"]+-errors">(.*?)</ul>', html, re.S)


def assert_everything_kept(html: str, typed: dict, except_fields=()) -> None:
    shown = form_values(html)
    for name, value in typed.items():
        if name in except_fields or name == "attachments":
            continue
        assert shown.get(name) == value, f"{name}: typed {value!r}, form shows {shown.get(name)!r}"


# --- a valid submission ------------------------------------------------------------------


def test_valid_submission_stores_everything_typed(app, client, filled):
    response = post_form(client, "/jiandu/", filled)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/jiandu/submitted")
    page = client.get("/jiandu/submitted").get_data(as_text=True)
    with app.app_context():
        item = db.session.scalar(select(FeedbackItem))
        assert item.tracking_code in page and item.lookup_secret in page
        assert (item.kind.value, item.unit_id, item.category_id, item.subject, item.body, item.location) == (
            "report",
            int(filled["unit_id"]),
            int(filled["category_id"]),
            filled["subject"],
            BODY,
            filled["location"],
        )
        assert (item.reporter.name, item.reporter.phone, item.reporter.email) == (
            "张三",
            "138 0013 8000",
            "zhangsan@example.cn",
        )
        assert item.status is ItemStatus.pending and item.locale == "zh_Hans"
        # Redis is up: the follow-up job is queued; it marks the row itself when it starts.
        assert item.dispatched_at is None
        assert Queue(app.config["RQ_QUEUE"], connection=redis_connection()).job_ids == [f"item-received-{item.id}"]


def test_the_secret_is_not_in_any_url_of_the_confirmation(client, filled):
    response = post_form(client, "/jiandu/", filled)
    assert "secret" not in response.headers["Location"]
    assert client.get("/jiandu/submitted").status_code == 200


def test_confirmation_without_a_submission_goes_to_the_lookup(client):
    response = client.get("/jiandu/submitted")
    assert response.status_code == 302 and response.headers["Location"].endswith("/jiandu/track")


def test_anonymous_submission_drops_contact_details_that_were_typed(app, client, filled):
    response = post_form(client, "/jiandu/", {**filled, "anonymous": "y"})
    assert response.status_code == 303
    with app.app_context():
        reporter = db.session.scalar(select(Reporter))
        assert reporter.wants_anonymity is True
        assert (reporter.name, reporter.phone, reporter.email) == (None, None, None)


def test_empty_optional_fields_are_fine(app, client):
    response = post_form(client, "/jiandu/", {"kind": "praise", "unit_id": "0", "category_id": "0", "body": BODY})
    assert response.status_code == 303
    with app.app_context():
        item = db.session.scalar(select(FeedbackItem))
        assert (item.unit_id, item.category_id, item.location) == (None, None, None)
        assert item.subject == BODY  # short enough to be the title as it is


# --- invalid input: Chinese message, everything kept --------------------------------------

INVALID = [
    pytest.param({"body": ""}, "请填写反映内容。", id="body-missing"),
    pytest.param({"body": "态度太差了"}, "请填写 10 至 5000 个字。", id="body-too-short"),
    pytest.param({"body": "长" * 5001}, "请填写 10 至 5000 个字。", id="body-too-long"),
    pytest.param({"subject": "标" * 101}, "标题最多 100 个字。", id="subject-too-long"),
    pytest.param({"location": "地" * 201}, "最多 200 个字。", id="location-too-long"),
    pytest.param({"name": "名" * 51}, "最多 50 个字。", id="name-too-long"),
    pytest.param({"phone": "打我电话"}, "请输入有效的电话号码。", id="phone-invalid"),
    pytest.param({"email": "zhangsan@"}, "请输入有效的电子邮箱地址。", id="email-invalid"),
    pytest.param({"unit_id": "99999"}, "不是有效的选择。", id="unit-not-a-choice"),
    pytest.param({"kind": "bribe"}, "不是有效的选择。", id="kind-not-a-choice"),
    pytest.param({"website": "http://spam.example"}, "您的提交未能被接受。", id="honeypot"),
]


@one_backend
@pytest.mark.parametrize("change, message", INVALID)
def test_invalid_input_is_explained_in_chinese_and_nothing_typed_is_lost(app, client, filled, change, message):
    typed = {**filled, **change}
    response = post_form(client, "/jiandu/", typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in " ".join(errors_in(html))
    assert "请修改标出的内容，您已填写的内容均已保留。" in html
    not_options = {"unit_id", "kind"} & set(change)  # a value that is no option cannot be shown selected
    assert_everything_kept(html, typed, except_fields=not_options)
    assert item_count(app) == 0


def test_several_problems_at_once_are_all_reported(client, filled):
    html = post_form(client, "/jiandu/", {**filled, "body": "短", "phone": "x", "email": "y"}).get_data(as_text=True)
    errors = " ".join(errors_in(html))
    for message in ("请填写 10 至 5000 个字。", "请输入有效的电话号码。", "请输入有效的电子邮箱地址。"):
        assert message in errors


@one_backend
@pytest.mark.parametrize(
    "how, expected",
    [
        ({"query": "?lang=en"}, "Please write between 10 and 5000 characters."),
        ({"headers": {"Accept-Language": "en-US,en;q=0.9"}}, "Please write between 10 and 5000 characters."),
        ({"query": "?lang=zh_Hant"}, "請填寫 10 至 5000 個字。"),
        ({"headers": {"Accept-Language": "zh-TW,zh;q=0.9"}}, "請填寫 10 至 5000 個字。"),
        ({"headers": {"Accept-Language": "zh-HK"}}, "請填寫 10 至 5000 個字。"),
        ({"headers": {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}}, "请填写 10 至 5000 个字。"),
        ({"headers": {"Accept-Language": "fr-FR"}}, "请填写 10 至 5000 个字。"),
    ],
    ids=["lang-en", "accept-en", "lang-zh_Hant", "accept-zh-TW", "accept-zh-HK", "accept-zh-CN", "fallback"],
)
def test_messages_follow_the_chosen_language(client, filled, how, expected):
    url = "/jiandu/" + how.get("query", "")
    headers = how.get("headers", {})
    token = csrf_token_from(client.get(url, headers=headers).get_data(as_text=True))
    response = client.post(url, data={**filled, "body": "太短", "csrf_token": token}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert expected in " ".join(errors_in(html))
    assert_everything_kept(html, {**filled, "body": "太短"})


def test_chosen_language_is_remembered(client):
    client.get("/jiandu/?lang=en")
    assert "Submit a report" in client.get("/jiandu/").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/jiandu/track").get_data(as_text=True)


def test_submission_remembers_the_reporters_language(app, client, filled):
    token = csrf_token_from(client.get("/jiandu/?lang=zh_Hant").get_data(as_text=True))
    assert client.post("/jiandu/", data={**filled, "csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(FeedbackItem.locale)) == "zh_Hant"


# --- uploads -----------------------------------------------------------------------------


def _files(*pairs):
    return [(io.BytesIO(data), name) for name, data in pairs]


def test_files_are_stored_with_their_original_names(app, client, filled):
    response = post_form(
        client,
        "/jiandu/",
        {
            **filled,
            "attachments": _files(
                ("现场照片.png", PNG_1X1), ("办事指南.pdf", PDF_MINIMAL), ("说明.txt", "记录".encode())
            ),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with app.app_context():
        stored = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert [(a.original_name, a.content_type, a.size) for a in stored] == [
            ("现场照片.png", "image/png", len(PNG_1X1)),
            ("办事指南.pdf", "application/pdf", len(PDF_MINIMAL)),
            ("说明.txt", "text/plain", len("记录".encode())),
        ]


def test_oversized_file_is_explained_and_the_text_kept(app, client, filled):
    app.config["MAX_UPLOAD_MB"] = 1
    big = PNG_1X1 + b"\0" * (1024 * 1024)
    typed = {**filled}
    response = post_form(
        client, "/jiandu/", {**typed, "attachments": _files(("大照片.png", big))}, content_type="multipart/form-data"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "“大照片.png”超过 1 MB。" in " ".join(errors_in(html))
    assert "请重新选择" in html  # the browser drops chosen files; say so
    assert_everything_kept(html, typed)
    assert item_count(app) == 0


def test_request_over_the_whole_limit_gets_a_friendly_page(app, client, filled):
    app.config["MAX_CONTENT_LENGTH"] = 512 * 1024
    response = post_form(
        client,
        "/jiandu/",
        {**filled, "attachments": _files(("视频.png", PNG_1X1 + b"\0" * 600_000))},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "文件过大" in html and "您填写的文字仍在表单中" in html
    assert 'class="button js-back"' in html  # the way back to the typed text
    assert item_count(app) == 0


def test_too_many_files_is_explained(app, client, filled):
    limit = app.config["MAX_UPLOAD_FILES"]
    files = _files(*[(f"照片{n}.png", PNG_1X1) for n in range(limit + 1)])
    response = post_form(client, "/jiandu/", {**filled, "attachments": files}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"最多只能上传 {limit} 个文件。" in " ".join(errors_in(html))
    assert_everything_kept(html, filled)
    assert item_count(app) == 0


@one_backend
@pytest.mark.parametrize(
    "name, data, message",
    [
        ("照片.jpg", EXE_HEAD, "“照片.jpg”不是有效的 JPG 文件。"),
        ("page.png", b"<html><script>alert(1)</script></html>", "“page.png”不是有效的 PNG 文件。"),
        ("setup.exe", EXE_HEAD, "“setup.exe”的文件类型不被接受。"),
        ("page.html", b"<html></html>", "“page.html”的文件类型不被接受。"),
        ("drawing.svg", b"<svg onload='alert(1)'/>", "“drawing.svg”的文件类型不被接受。"),
    ],
)
def test_wrong_file_types_are_refused(app, client, filled, name, data, message):
    response = post_form(
        client, "/jiandu/", {**filled, "attachments": _files((name, data))}, content_type="multipart/form-data"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in " ".join(errors_in(html))
    assert_everything_kept(html, filled)
    assert item_count(app) == 0


# --- CSRF --------------------------------------------------------------------------------


@one_backend
@pytest.mark.parametrize("token", [None, "", "forged-token", "other-session"])
def test_submission_without_a_valid_csrf_token_is_refused_politely(app, client, filled, token):
    if token == "other-session":
        other = app.test_client()
        token = csrf_token_from(other.get("/jiandu/").get_data(as_text=True))
    else:
        client.get("/jiandu/")  # a session exists, as for a real visitor
    data = dict(filled) if token is None else {**filled, "csrf_token": token}
    response = client.post("/jiandu/", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "表单已过期" in html and "请返回上一页，刷新后重新提交" in html
    assert item_count(app) == 0


# --- status page -------------------------------------------------------------------------


@pytest.fixture
def submitted(app, client, filled):
    """A web submission that staff accepted with an internal note; returns (code, secret)."""
    assert post_form(client, "/jiandu/", filled).status_code == 303
    receipt = client.get("/jiandu/submitted").get_data(as_text=True)
    code = re.search(r'id="tracking-code">([^<]+)<', receipt).group(1)
    secret = re.search(r'id="lookup-secret">([^<]+)<', receipt).group(1)
    with app.app_context():
        from intake.auth.models import Role
        from intake.auth.services import create_user

        officer = create_user("wangkz", "long-enough-pw", Role.staff, display_name="王科长")
        item = db.session.scalar(select(FeedbackItem))
        services.change_status(item, ItemStatus.accepted, actor_id=officer.id, note="内部：反映人是局长的亲戚")
        db.session.commit()
    return code, secret


def test_status_page_shows_status_and_history_but_nothing_internal(app, submitted, filled):
    code, secret = submitted
    response = open_progress(app.test_client(), code, secret)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="item-status">已受理<', html)
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S).group(1)
    assert timeline.count("<li>") == 2 and "反映已收到" in timeline and "已受理" in timeline
    assert filled["body"] in html and "县工业商务和科学技术信息局" in html
    for private in ("王科长", "wangkz", "内部：反映人是局长的亲戚", filled["name"], filled["phone"], filled["email"]):
        assert private not in html
    assert secret not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_status_page_accepts_the_code_and_secret_in_lower_case(app, submitted):
    code, secret = submitted
    assert open_progress(app.test_client(), code.lower(), f" {secret.lower()} ").status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"])
def test_status_page_shows_the_replies_sent_but_no_note_and_nothing_unsent(app, submitted):
    from intake.triage.services import item_actions, reporter_replies

    code, secret = submitted
    with app.app_context():
        item = db.session.scalar(select(FeedbackItem))
        staff_id = item.events[-1].actor_id
        sent = reporter_replies.queue_reply(item, staff_id, "已受理", "您好：已转县工信局办理，十个工作日内答复。")
        reporter_replies.mark_reply_sent(sent)
        reporter_replies.queue_reply(item, staff_id, "草稿", "尚未发出的答复")
        item_actions.add_note(item, "内部备注：不要告诉反映人", staff_id)
        db.session.commit()
    html = open_progress(app.test_client(), code, secret).get_data(as_text=True)
    replies = re.search(r'<section class="panel" id="replies">(.*?)</section>', html, re.S).group(1)
    assert "已转县工信局办理，十个工作日内答复。" in replies
    assert "尚未发出的答复" not in html and "内部备注" not in html


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize("typing", ["dashless", "lower-dashless", "full-width", "spaces"])
def test_status_page_accepts_the_code_as_people_type_it(app, submitted, typing):
    code, secret = submitted
    typed = {
        "dashless": code.replace("-", ""),
        "lower-dashless": code.replace("-", "").lower(),
        "full-width": full_width(code.replace("-", "").lower()),
        "spaces": code.replace("-", " "),
    }[typing]
    response = open_progress(app.test_client(), typed, full_width(secret) if typing == "full-width" else secret)
    assert response.status_code == 200


@pytest.mark.parametrize("which", ["wrong-secret", "unknown-code"])
def test_lookup_without_the_right_secret_shows_nothing(app, submitted, filled, which):
    code, secret = submitted
    typed = {"wrong-secret": (code, "ABCDEFGHJK"), "unknown-code": ("JD-2001-000009", secret)}[which]
    response = open_progress(app.test_client(), *typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "查询编号与查询密码不匹配，未找到对应的反映。" in html
    assert form_values(html)["code"] == typed[0]  # what was typed is kept
    for item_data in (filled["body"], filled["subject"], filled["location"], "已受理", "县工业商务和科学技术信息局"):
        assert item_data not in html


def test_the_status_page_needs_a_session_that_proved_the_secret(app, client, submitted, filled):
    code, secret = submitted
    stranger = app.test_client()
    page = stranger.get(f"/jiandu/track/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "请输入查询密码" in html
    assert filled["body"] not in html and form_values(html)["code"] == code
    # The session that submitted may open it (the confirmation page proved the secret).
    assert filled["body"] in client.get(f"/jiandu/track/{code}").get_data(as_text=True)


def test_the_secret_never_stands_in_a_url(app, submitted):
    code, secret = submitted
    fresh = app.test_client()
    response = post_form(fresh, "/jiandu/track", {"code": code, "secret": secret})
    assert response.status_code == 303 and response.headers["Location"] == f"/jiandu/track/{code}"
    html = fresh.get(response.headers["Location"]).get_data(as_text=True)
    assert secret not in html
    assert 'method="post"' in fresh.get("/jiandu/track").get_data(as_text=True)
    # A link from an old mail (?s=) is checked once and continues on the address without it.
    old = app.test_client().get(f"/jiandu/track/{code}?s={secret}")
    assert old.status_code == 303 and old.headers["Location"] == f"/jiandu/track/{code}"


def test_the_confirmation_shows_the_secret_once(client, submitted):
    code, secret = submitted  # the fixture opened the confirmation page
    # Switching its language (or reloading) shows it again, in that language.
    english = client.get("/jiandu/submitted?lang=en", follow_redirects=True).get_data(as_text=True)
    assert secret in english and "Lookup secret" in english
    client.get(f"/jiandu/track/{code}")  # any other page: the receipt is forgotten
    again = client.get("/jiandu/submitted")
    assert again.status_code == 302 and secret not in again.get_data(as_text=True)


def test_a_mails_link_works_once(app, submitted, filled):
    from intake.feedback.access import issue_link

    code, _secret = submitted
    with app.app_context():
        item = db.session.scalar(select(FeedbackItem))
        token = issue_link(item)
        db.session.commit()
    first = app.test_client()
    response = first.get(f"/jiandu/link/{token}")
    assert response.status_code == 303 and response.headers["Location"] == f"/jiandu/track/{code}"
    assert filled["body"] in first.get(f"/jiandu/track/{code}").get_data(as_text=True)
    spent = app.test_client().get(f"/jiandu/link/{token}")
    assert spent.status_code == 404 and "此链接已使用过或已过期" in spent.get_data(as_text=True)
    assert app.test_client().get("/jiandu/link/not-a-token").status_code == 404


def test_lookup_form_asks_for_missing_fields(client):
    html = post_form(client, "/jiandu/track", {"code": "JD-2026-000001", "secret": ""}).get_data(as_text=True)
    assert "请输入查询密码。" in html


def test_status_page_language_follows_the_visitor(app, submitted):
    code, secret = submitted
    fresh = app.test_client()
    open_progress(fresh, code, secret)
    # Switching language keeps the report open: the session holds it, not the URL.
    assert "Accepted" in fresh.get(f"/jiandu/track/{code}?lang=en").get_data(as_text=True)


def test_anonymous_choice_is_kept_after_an_error(app, client, filled):
    html = post_form(client, "/jiandu/", {**filled, "anonymous": "y", "body": "太短"}).get_data(as_text=True)
    shown = form_values(html)
    assert shown.get("anonymous") == "y"
    assert shown["body"] == "太短"
    assert item_count(app) == 0


@one_backend
def test_contact_details_are_kept_only_with_consent(app, client, filled):
    typed = {k: v for k, v in filled.items() if k != "consent"}
    response = post_form(client, "/jiandu/", typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请同意联系方式的使用说明，或选择匿名提交。" in html
    assert "反映办结 2 年后删除" in html  # the notice says how long
    assert_everything_kept(html, typed)
    assert item_count(app) == 0
    # Anonymous, or without contact details, no consent is asked.
    assert post_form(client, "/jiandu/", {**typed, "anonymous": "y"}).status_code == 303
    no_contact = {k: v for k, v in typed.items() if k not in ("name", "phone", "email")}
    assert post_form(client, "/jiandu/", no_contact).status_code == 303


def test_a_refused_form_with_a_photo_says_the_photo_must_be_chosen_again(app, client, filled):
    """Any refusal, not only a refused file: the browser drops the chosen photo, so the summary
    must not let "everything you typed is kept" stand for it."""
    typed = {**filled, "body": ""}
    response = post_form(
        client, "/jiandu/", {**typed, "attachments": _files(("现场.png", PNG_1X1))}, content_type="multipart/form-data"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = html[html.index('id="error-summary"') :]
    assert "请重新选择" in summary[: summary.index("</div>")]


def test_every_page_links_the_public_figures_and_has_its_icon(client):
    """The public figures per unit (/jiandu/units/) were reachable only by typing the address;
    and every page asked for a /favicon.ico that does not exist."""
    html = client.get("/jiandu/").get_data(as_text=True)
    footer = html[html.index('class="wrap site-footer"') :]
    assert 'href="/jiandu/units/"' in footer and "整改情况统计" in footer
    assert client.get("/jiandu/units/").status_code == 200
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    response = client.get(icon)
    assert response.status_code == 200 and b"<svg" in response.data
