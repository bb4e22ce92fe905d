"""Bad input never gives a 500: every rule of the app, walked as each role (anonymous, a reporter
whose session opened their report, liaison, member, staff, admin) on both databases, with
hostile values (NUL, a lone surrogate, 5000 characters and a megabyte, numbers past 32 and 64
bits, negative numbers, impossible dates) in every URL converter, every query parameter a view
reads and every field of every form. Any 5xx answer, or an exception escaping a view, fails
with the request that caused it.

Nothing here lists routes, parameters or fields: rules come from `app.url_map`, the roles that
may open a rule from the access table, parameters from reading the code and from the GET forms
the pages show, fields from the POST forms the pages show and from the WTForms classes and
`request.form` names in the view's source (a form shown only in another state of an object).
Routes added by other features are walked the day they exist.

Bounded (about a minute for the twelve walks): a view gets hostile values only in the
parameters it actually reads (recorded per request); a form is tried one field at a time from
plausible values, by the field's type, with the megabyte in all fields at once; fields named
per row (exclude-<unit>) are tried for two rows; admins walk only the rules staff may not open
(the same views otherwise)."""

import io
import json
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import intake
from intake.extensions import db
from tests import hostile
from tests.conftest import make_user
from tests.factories import PDF_MINIMAL, PNG_1X1, create_item, upload
from tests.test_access_table import ACCESS

ROLES = ["anonymous", "reporter", "liaison", "member", "staff", "admin"]
LOGIN = {"liaison": "liaison", "member": "member", "staff": "staff", "admin": "admin"}
GLOBAL_PROBE = "/no-such-page-for-the-walk"


@pytest.fixture
def world(app, users, tmp_path):
    """One of everything, so the walk's ids reach real objects (each table's first row has id 1):
    a 2027 cycle with zwfw listed, an approved plan, a self-inspection report, a group and a
    meeting with a photo and a finding; an item with an attachment routed into a task that the
    zwfw liaison signed, reported progress on with a file, and asked more time for."""
    from intake.feedback.services import UploadInput
    from intake.program import groups, plans
    from intake.rectification.models.tasks import RectificationTask
    from intake.rectification.services import routing, unit_steps
    from intake.reference.models import Unit
    from tests.program.plan_world import approved_plan, cycle_units, symposium

    calendar = tmp_path / "later-years.json"  # as tests/rectification/conftest.py: past 2026
    calendar.write_text(json.dumps({str(y): {"holidays": [], "workdays": []} for y in range(2027, 2031)}))
    app.config["WORKDAY_CALENDAR_FILE"] = str(calendar)
    cu = cycle_units(app)
    make_user(app, "liaison_b", "liaison", unit_code="gk")
    approved_plan(app, cu["A"], users["staff"])
    with app.app_context():
        plans.upload_self_report(
            plans.cycle_unit(cu["A"]),
            users["liaison"],
            UploadInput("自查报告.pdf", "application/pdf", io.BytesIO(PDF_MINIMAL)),
        )
        groups.set_group(cu["A"], "第一民主监督小组", users["member"], [])
        groups.record_meeting(
            cu["A"], symposium(), users["member"], [UploadInput("现场.png", "image/png", io.BytesIO(PNG_1X1))]
        )
        item = create_item(uploads=[upload()])
        create_item()
        zwfw = db.session.scalar(select(Unit.id).where(Unit.code == "zwfw"))
        task = routing.route_items_to_unit([item.id], zwfw, "窗口态度生硬", "立即整改", users["staff"])
        unit_steps.sign_task(task, users["liaison"], measures="加强培训", responsible_person="王科长")
        unit_steps.post_progress(task, users["liaison"], "已组织培训", [upload()])
        task = db.session.get(RectificationTask, task.id)
        unit_steps.request_extension(task, users["liaison"], task.deadline + timedelta(days=30), "需协调")
        db.session.commit()
        return {"code": item.tracking_code, "s": item.lookup_secret}


def _allowed(role: str) -> dict[tuple[str, str], bool]:
    as_role = "anonymous" if role == "reporter" else role
    table = {}
    for method, rule, allowed in ACCESS:
        walk = as_role in allowed
        if role == "admin" and "staff" in allowed:
            walk = False  # the same views as staff's
        table[(method, rule)] = walk
    return table


class Walk:
    """One role's walk; `failures` collects every request answered with a 5xx or an exception."""

    def __init__(self, app, client, role: str, reporter: dict):
        self.app, self.client, self.role = app, client, role
        self.failures: list[str] = []
        self.real = {"year": "2027", "number": "1", "fmt": "pdf", "filename": "app.css"}
        self.real["code"] = reporter["code"] if role == "reporter" else "JD-2026-000999"
        self.forms: dict[str, hostile.Form] = {}
        self.candidate_args = hostile.query_parameter_names(Path(intake.__file__).parent)
        self.requests = 0
        self.endpoints = {(r.rule, m): r.endpoint for r in app.url_map.iter_rules() for m in r.methods}

    def send(self, method: str, path: str, query: dict | None = None, form: dict | None = None, files=None, **kw):
        query_string = "&".join(f"{hostile.wire(k)}={hostile.wire(v)}" for k, v in (query or {}).items())
        hostile.RecordingArgs.read = set()
        self.requests += 1
        what = f"{self.role} {method} {path[:150]}?{query_string[:150]} form={_short(form)}"
        try:
            if files:
                data = {**(form or {}), **files}
                response = self.client.open(path, method=method, query_string=query_string, data=data, **kw)
            elif form is not None:
                response = self.client.open(
                    path,
                    method=method,
                    query_string=query_string,
                    data=hostile.body(form),
                    content_type="application/x-www-form-urlencoded",
                    **kw,
                )
            else:
                response = self.client.open(path, method=method, query_string=query_string, **kw)
        except Exception as exc:  # noqa: BLE001 - an exception escaping a view is the failure sought
            self.failures.append(f"{what} -> {type(exc).__name__}: {str(exc)[:200]}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"{what} -> {response.status_code}")
        return response

    def harvest(self, response, page: str) -> None:
        if response is None or not response.mimetype == "text/html":
            return
        adapter = self.app.url_map.bind("localhost")
        for form in hostile.forms_of(response.get_data(as_text=True), page):
            if form.method == "GET":
                self.candidate_args.update(form.fields)
                continue
            try:
                rule, _args = adapter.match(form.action.split("?")[0], method="POST", return_rule=True)
            except Exception:  # noqa: BLE001 - a form posting elsewhere, or to a dead address
                continue
            self.forms.setdefault(rule.rule, form)

    def get_rule(self, rule: str, global_args: set[str]) -> None:
        path = hostile.build_path(rule, self.real_values(rule))
        # Every candidate parameter with a dull value: the view shows which ones it reads.
        dull = dict.fromkeys(self.candidate_args, "1")
        response = self.send("GET", path)
        read = set(hostile.RecordingArgs.read)
        if read & self.candidate_args - global_args:  # a view that reads some may read more
            self.send("GET", path, dull)
            read |= hostile.RecordingArgs.read
        self.harvest(response, path)
        for name in sorted((read & self.candidate_args) - global_args):
            for value in hostile.HOSTILE_ARGS:
                self.send("GET", path, {name: value})
        self.hostile_converters("GET", rule)

    def hostile_converters(self, method: str, rule: str, form: dict | None = None) -> None:
        for kind, _args, name in hostile.converters(rule):
            if kind == "any":
                continue
            values = hostile.HOSTILE_IDS if kind == "int" else hostile.HOSTILE_STRINGS
            for value in values:
                path = hostile.build_path(rule, self.real_values(rule) | {name: value})
                self.send(method, path, form=form)

    def post_rule(self, rule: str, token: str) -> None:
        # The form a page showed, else (and beyond it) the fields the view's source takes.
        form = self.forms.get(rule) or hostile.Form(hostile.build_path(rule, self.real_values(rule)), "POST", False)
        path = form.action.split("?")[0]
        endpoint = self.endpoints[(rule, "POST")]
        kinds = hostile.fields_of_view(self.app.view_functions[endpoint]) | form.kinds
        files = [name for name, kind in kinds.items() if kind == "file"]
        fields = {name: hostile.plausible(kind) for name, kind in kinds.items() if kind != "file"}
        fields |= form.fields
        fields.setdefault("csrf_token", token)
        self.send("POST", path, form=fields)
        tried = Counter()
        for name in sorted(fields):
            # Fields named per row (exclude-<unit>, s<stage>-owner): a few rows stand for all.
            tried[name.split("-")[0]] += 1
            if name.endswith("csrf_token") or tried[name.split("-")[0]] > 2:
                continue
            for value in hostile.hostile_values(kinds.get(name, "text")):
                self.send("POST", path, form=fields | {name: value})
        for name in files:
            for filename in hostile.HOSTILE_FILENAMES:
                self.send("POST", path, form=fields, files={name: (io.BytesIO(PNG_1X1), filename)})
        # Every field at once, the token too: a lone surrogate, which no form should see whole.
        self.send("POST", path, form=dict.fromkeys(fields, hostile.SURROGATE))
        # A megabyte in every field, from a browser and from a script (the visits' outbox asks
        # for JSON): a form's answer must not grow into a 500 either.
        megabytes = {name: value if name.endswith("csrf_token") else hostile.MEGABYTE for name, value in fields.items()}
        self.send("POST", path, form=megabytes)
        self.send("POST", path, form=megabytes, headers={"Accept": "application/json"})
        self.hostile_converters("POST", rule, fields)

    def real_values(self, rule: str) -> dict[str, str]:
        return {name: self.real.get(name, "1") for _kind, _args, name in hostile.converters(rule)}


def _short(form: dict | None) -> str:
    if not form:
        return "-"
    return repr({k: (v[:20] + f"…({len(v)})" if len(v) > 20 else v) for k, v in form.items() if k != "csrf_token"})


@pytest.mark.parametrize("role", ROLES)
def test_no_hostile_value_gets_a_server_error(app, client, auth, users, world, role):
    app.request_class = type(
        "RecordingRequest", (app.request_class,), {"parameter_storage_class": hostile.RecordingArgs}
    )
    if role in LOGIN:
        assert auth.login(LOGIN[role]).status_code == 302
    elif role == "reporter":  # the progress page opens for the session that typed code and secret
        token = _token(client)
        lookup = {"csrf_token": token, "code": world["code"], "secret": world["s"]}
        assert client.post("/jiandu/track", data=lookup).status_code == 303
    walk = Walk(app, client, role, world)
    allowed = _allowed(role)
    rules = defaultdict(set)
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            rules[method].add(rule.rule)

    # Parameters every request reads (the language): walked once, on the 404 page.
    walk.send("GET", GLOBAL_PROBE)
    global_args = set(hostile.RecordingArgs.read) & walk.candidate_args
    for name in sorted(global_args):
        for value in hostile.HOSTILE_ARGS:
            walk.send("GET", "/", {name: value})
    # What every request carries besides parameters: a NUL as a parameter's name, headers
    # the language, the proxy handling and the CSRF check read.
    walk.send("GET", "/", {"a\x00": "1"})
    walk.send("GET", "/", headers={"Accept-Language": "zh;q=NaN, " + hostile.LONG, "Cookie": "lang=%00" + hostile.LONG})
    walk.send("GET", "/", headers={"X-Forwarded-For": hostile.LONG, "X-Forwarded-Proto": "gopher", "Host": "a" * 300})

    for rule in sorted(rules["GET"]):
        if allowed.get(("GET", rule), True):
            walk.get_rule(rule, global_args)
    token = _token(client)
    # Signing out last: it ends the walk's session.
    for rule in sorted(rules["POST"], key=lambda r: (r == "/auth/logout", r)):
        if allowed.get(("POST", rule), True):
            walk.post_rule(rule, token)
    print(f"{role}: {walk.requests} requests")
    assert walk.failures == [], "\n".join(walk.failures)


def _token(client) -> str:
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get("/jiandu/").get_data(as_text=True))
