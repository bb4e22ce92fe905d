"""The access table: every URL rule of the app with the roles that may use it, decided once.

A route added without an entry here fails `test_every_route_has_a_decided_role`; each entry is
then tried by every role (and nobody signed in) against the role gate. Ownership (unit A's
liaison against unit B's task) is tested with real objects beside each domain's tests
(tests/rectification/test_authorization.py, tests/triage/test_triage_access.py)."""

import re

import pytest

from tests.conftest import csrf_token_from

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

EVERYONE = {"anonymous", "admin", "staff", "member", "liaison"}
STAFF = {"admin", "staff"}
ADMIN = {"admin"}
SIGNED_IN = EVERYONE - {"anonymous"}
# Verification visits and meetings: members, and staff recording them on their behalf.
VERIFIERS = {"member", "staff", "admin"}
LIAISON = {"liaison"}

# (method, rule as Flask writes it, who may use it)
ACCESS = [
    # Public: the 民主监督 form, progress lookup, the reporter's rating, the units' figures.
    ("GET", "/", EVERYONE),
    ("GET", "/jiandu/", EVERYONE),
    ("POST", "/jiandu/", EVERYONE),
    ("GET", "/jiandu/submitted", EVERYONE),
    ("GET", "/jiandu/track", EVERYONE),
    ("POST", "/jiandu/track", EVERYONE),
    ("GET", "/jiandu/link/<token>", EVERYONE),
    ("POST", "/jiandu/track/<code>/erase", EVERYONE),
    ("GET", "/jiandu/track/<code>", EVERYONE),
    ("POST", "/jiandu/track/<code>/rating", EVERYONE),
    ("GET", "/jiandu/units/", EVERYONE),
    ("GET", "/jiandu/units/<code>", EVERYONE),
    ("GET", "/static/<path:filename>", EVERYONE),
    ("GET", "/auth/login", EVERYONE),
    ("POST", "/auth/login", EVERYONE),
    ("POST", "/auth/logout", EVERYONE),
    ("GET", "/auth/password", SIGNED_IN),
    ("POST", "/auth/password", SIGNED_IN),
    ("GET", "/auth/lockouts", ADMIN),
    ("POST", "/auth/alive", SIGNED_IN),
    ("GET", "/auth/second-factor", EVERYONE),
    ("POST", "/auth/second-factor", EVERYONE),
    ("GET", "/auth/two-factor", STAFF),
    ("POST", "/auth/two-factor/enable", STAFF),
    ("POST", "/auth/two-factor/disable", STAFF),
    ("POST", "/auth/lockouts/clear", ADMIN),
    ("GET", "/auth/users", ADMIN),
    ("GET", "/auth/users/new", ADMIN),
    ("POST", "/auth/users/new", ADMIN),
    ("GET", "/auth/users/<int:user_id>", ADMIN),
    ("POST", "/auth/users/<int:user_id>", ADMIN),
    ("POST", "/auth/users/<int:user_id>/active", ADMIN),
    ("POST", "/auth/users/<int:user_id>/password", ADMIN),
    # Staff: the queue and the item.
    ("GET", "/staff/", STAFF),
    ("POST", "/staff/bulk", STAFF),
    ("POST", "/staff/views", STAFF),
    ("POST", "/staff/views/<int:view_id>/delete", STAFF),
    ("GET", "/staff/items/<int:item_id>", STAFF),
    ("POST", "/staff/items/<int:item_id>/assign", STAFF),
    ("POST", "/staff/items/<int:item_id>/receipt", STAFF),
    ("POST", "/staff/items/<int:item_id>/classify", STAFF),
    ("GET", "/staff/items/<int:item_id>/inline/<int:attachment_id>", STAFF),
    ("POST", "/staff/items/<int:item_id>/merge", STAFF),
    ("POST", "/staff/items/<int:item_id>/notes", STAFF),
    ("POST", "/staff/items/<int:item_id>/replies/<int:reply_id>/resend", STAFF),
    ("POST", "/staff/items/<int:item_id>/reply", STAFF),
    ("POST", "/staff/items/<int:item_id>/reporter", STAFF),
    ("POST", "/staff/items/<int:item_id>/reporter/data", STAFF),
    ("POST", "/staff/items/<int:item_id>/reporter/erase", STAFF),
    ("POST", "/staff/items/<int:item_id>/status", STAFF),
    ("POST", "/staff/items/<int:item_id>/suggestion/accept", STAFF),
    ("GET", "/staff/attachments/<int:attachment_id>", STAFF),
    ("GET", "/staff/thread/<int:entry_id>/body", STAFF),
    ("GET", "/staff/admin/rules", ADMIN),
    ("POST", "/staff/admin/rules", ADMIN),
    ("GET", "/staff/admin/units.xlsx", ADMIN),
    ("POST", "/staff/admin/units/import", ADMIN),
    ("GET", "/staff/admin/templates", ADMIN),
    ("POST", "/staff/admin/templates", ADMIN),
    # Staff: the mailbox's quarantine.
    ("GET", "/staff/quarantine/", STAFF),
    ("GET", "/staff/quarantine/<int:inbound_id>", STAFF),
    ("POST", "/staff/quarantine/<int:inbound_id>/replay", STAFF),
    # Staff: the rectification ledger (整改台账).
    ("GET", "/staff/rectification/", STAFF),
    ("GET", "/staff/rectification/calendar", ADMIN),
    ("POST", "/staff/rectification/calendar", ADMIN),
    ("GET", "/staff/rectification/export.xlsx", STAFF),
    ("GET", "/staff/rectification/figures", STAFF),
    ("GET", "/staff/rectification/files/<int:file_id>", STAFF),
    ("POST", "/staff/rectification/route", STAFF),
    ("GET", "/staff/rectification/tasks/<int:task_id>", STAFF),
    ("POST", "/staff/rectification/tasks/<int:task_id>/deadline", STAFF),
    ("POST", "/staff/rectification/tasks/<int:task_id>/extensions/<int:request_id>", STAFF),
    ("POST", "/staff/rectification/tasks/<int:task_id>/hide/<int:attachment_id>", STAFF),
    ("POST", "/staff/rectification/tasks/<int:task_id>/release/<int:attachment_id>", STAFF),
    ("POST", "/staff/rectification/tasks/<int:task_id>/review", STAFF),
    # Members' follow-up (追踪监督).
    ("GET", "/member/rectification/", VERIFIERS),
    ("GET", "/member/rectification/tasks/<int:task_id>", VERIFIERS),
    ("GET", "/member/rectification/tasks/<int:task_id>/files/<int:file_id>", VERIFIERS),
    ("POST", "/member/rectification/tasks/<int:task_id>/visit", VERIFIERS),
    # The supervised unit's liaison: their own unit's matters only.
    ("GET", "/unit/", LIAISON),
    ("GET", "/unit/export.xlsx", LIAISON),
    ("GET", "/unit/tasks/<int:task_id>", LIAISON),
    ("GET", "/unit/tasks/<int:task_id>/attachments/<int:attachment_id>", LIAISON),
    ("POST", "/unit/tasks/<int:task_id>/complete", LIAISON),
    ("POST", "/unit/tasks/<int:task_id>/extension", LIAISON),
    ("GET", "/unit/tasks/<int:task_id>/files/<int:file_id>", LIAISON),
    ("POST", "/unit/tasks/<int:task_id>/progress", LIAISON),
    ("POST", "/unit/tasks/<int:task_id>/sign", LIAISON),
    # The supervision year (监督年度): public lottery record, staff's cycle and lottery pages.
    ("GET", "/program/", EVERYONE),
    ("GET", "/program/<int:year>", EVERYONE),
    ("GET", "/program/<int:year>/draw.json", EVERYONE),
    ("GET", "/staff/program/", STAFF),
    ("POST", "/staff/program/", STAFF),
    ("GET", "/staff/program/<int:year>", STAFF),
    ("POST", "/staff/program/<int:year>/commit", STAFF),
    ("POST", "/staff/program/<int:year>/draw", STAFF),
    ("POST", "/staff/program/<int:year>/stages/<int:stage_id>", STAFF),
    ("POST", "/staff/program/<int:year>/stages/<int:stage_id>/done", STAFF),
    # Plans (实施方案), groups, self-inspection reports.
    ("GET", "/staff/program/plans", STAFF),
    ("GET", "/staff/program/plans/<int:plan_id>", STAFF),
    ("POST", "/staff/program/plans/<int:plan_id>", STAFF),
    ("POST", "/staff/program/plans/<int:plan_id>/approve", STAFF),
    ("GET", "/staff/program/plans/<int:plan_id>/v<int:number>", STAFF),
    ("GET", "/staff/program/plans/<int:plan_id>/v<int:number>.<any(docx, pdf):fmt>", STAFF),
    ("GET", "/staff/program/reports/<int:report_id>", STAFF),
    ("GET", "/staff/program/units/<int:cycle_unit_id>", STAFF),
    ("POST", "/staff/program/units/<int:cycle_unit_id>/group", STAFF),
    ("POST", "/staff/program/units/<int:cycle_unit_id>/plan", STAFF),
    ("GET", "/unit/program/", LIAISON),
    ("POST", "/unit/program/<int:cycle_unit_id>/reports", LIAISON),
    ("GET", "/unit/program/plans/<int:plan_id>", LIAISON),
    ("GET", "/unit/program/plans/<int:plan_id>.<any(docx, pdf):fmt>", LIAISON),
    ("GET", "/unit/program/reports/<int:report_id>", LIAISON),
    # Meetings (座谈会, 现场考察): staff, or the members of the unit's group (checked per object).
    ("GET", "/program/units/<int:cycle_unit_id>/meetings/new", VERIFIERS),
    ("POST", "/program/units/<int:cycle_unit_id>/meetings/new", VERIFIERS),
    ("GET", "/program/meetings/<int:meeting_id>", VERIFIERS),
    ("GET", "/program/meetings/<int:meeting_id>/photos/<int:photo_id>", VERIFIERS),
    ("POST", "/program/findings/<int:finding_id>/item", VERIFIERS),
    ("POST", "/program/findings/<int:finding_id>/task", STAFF),
    # A member's work page: their groups, tasks and the year's calendar.
    ("GET", "/member/program/", {"member"}),
    # Visits (明察暗访): members record (the form, its outbox's token), staff read and resolve;
    # a visit's page: its member, their group, staff (checked per object). The Service Worker's
    # script is public (it holds nothing; its scope is /member/visits/).
    ("GET", "/member/visits/", {"member"}),
    ("GET", "/member/visits/new", {"member"}),
    ("POST", "/member/visits/new", {"member"}),
    ("GET", "/member/visits/session", {"member"}),
    ("GET", "/member/visits/sw.js", EVERYONE),
    ("GET", "/member/visits/<int:visit_id>", VERIFIERS),
    ("GET", "/member/visits/<int:visit_id>/photos/<int:photo_id>", VERIFIERS),
    ("GET", "/staff/visits/", STAFF),
    ("GET", "/staff/visits/<int:year>", STAFF),
    ("GET", "/staff/visits/<int:year>/units/<int:unit_id>", STAFF),
    ("GET", "/staff/visits/<int:year>/members/<int:user_id>", STAFF),
    ("GET", "/staff/visits/<int:year>/checklist", STAFF),
    ("POST", "/staff/visits/<int:year>/checklist", STAFF),
    ("GET", "/staff/visits/conflicts", STAFF),
    ("GET", "/staff/visits/conflicts/<int:conflict_id>", STAFF),
    ("POST", "/staff/visits/conflicts/<int:conflict_id>", STAFF),
    # The democratic appraisal (民主评议): staff run the secret ballot, the notices and plaques.
    ("GET", "/staff/appraisal/", STAFF),
    ("GET", "/staff/appraisal/new/<int:year>", STAFF),
    ("POST", "/staff/appraisal/new/<int:year>", STAFF),
    ("GET", "/staff/appraisal/<int:session_id>", STAFF),
    ("POST", "/staff/appraisal/<int:session_id>/open", STAFF),
    ("POST", "/staff/appraisal/<int:session_id>/close", STAFF),
    ("POST", "/staff/appraisal/<int:session_id>/paper", STAFF),
    ("POST", "/staff/appraisal/<int:session_id>/count", STAFF),
    ("GET", "/staff/appraisal/<int:session_id>/results", STAFF),
    ("GET", "/staff/appraisal/year/<int:year>", STAFF),
    ("GET", "/staff/appraisal/year/<int:year>/notice.<any(html, pdf):fmt>", STAFF),
    ("GET", "/staff/appraisal/units/<int:cycle_unit_id>", STAFF),
    ("POST", "/staff/appraisal/units/<int:cycle_unit_id>/opinions", STAFF),
    ("POST", "/staff/appraisal/units/<int:cycle_unit_id>/opinions/items/<int:item_id>", STAFF),
    ("POST", "/staff/appraisal/opinions/<int:opinion_id>/delete", STAFF),
    ("POST", "/staff/appraisal/units/<int:cycle_unit_id>/issue", STAFF),
    ("POST", "/staff/appraisal/units/<int:cycle_unit_id>/tasks", STAFF),
    ("GET", "/staff/appraisal/units/<int:cycle_unit_id>/notice.<any(html, pdf):fmt>", STAFF),
    ("GET", "/staff/appraisal/units/<int:cycle_unit_id>/plaque.pdf", STAFF),
    # Members: the ballot, the published receipts and results, each unit's year (知情明政).
    ("GET", "/member/appraisal/", {"member"}),
    ("GET", "/member/appraisal/<int:session_id>/vote", {"member"}),
    ("POST", "/member/appraisal/<int:session_id>/vote", {"member"}),
    ("GET", "/member/appraisal/<int:session_id>/receipts", {"member"}),
    ("GET", "/member/appraisal/<int:session_id>/results", {"member"}),
    ("GET", "/member/appraisal/units", {"member"}),
    ("GET", "/member/appraisal/units/<int:cycle_unit_id>", {"member"}),
    ("GET", "/member/appraisal/reports/<int:report_id>", {"member"}),
    # A liaison: their own unit's notice, once issued.
    ("GET", "/unit/appraisal/", LIAISON),
    ("GET", "/unit/appraisal/<int:cycle_unit_id>/notice.<any(html, pdf):fmt>", LIAISON),
    # Public: a unit's grade, figures and rectification record (the plaque's QR code).
    ("GET", "/program/<int:year>/units/<code>", EVERYONE),
    # Operations: probes for machines (/metrics also wants METRICS_TOKEN), pages for admins.
    ("GET", "/healthz", EVERYONE),
    ("GET", "/readyz", EVERYONE),
    ("GET", "/metrics", EVERYONE),
    ("GET", "/admin/system", ADMIN),
    ("GET", "/admin/jobs", ADMIN),
    ("POST", "/admin/jobs/<any(requeue, discard):action>", ADMIN),
    # Questionnaires (调查问卷): the public answers; staff build, hand out and read the results;
    # the unit's liaison reads its own unit's published results (checked per object).
    ("GET", "/q/<token>", EVERYONE),
    ("POST", "/q/<token>", EVERYONE),
    ("GET", "/q/<token>/thanks", EVERYONE),
    ("GET", "/staff/surveys/", STAFF),
    ("POST", "/staff/surveys/", STAFF),
    ("GET", "/staff/surveys/<int:questionnaire_id>", STAFF),
    ("POST", "/staff/surveys/<int:questionnaire_id>", STAFF),
    ("POST", "/staff/surveys/<int:questionnaire_id>/questions", STAFF),
    ("GET", "/staff/surveys/<int:questionnaire_id>/questions/<int:question_id>", STAFF),
    ("POST", "/staff/surveys/<int:questionnaire_id>/questions/<int:question_id>", STAFF),
    ("POST", "/staff/surveys/<int:questionnaire_id>/questions/<int:question_id>/move", STAFF),
    ("POST", "/staff/surveys/<int:questionnaire_id>/questions/<int:question_id>/delete", STAFF),
    ("GET", "/staff/surveys/<int:questionnaire_id>/form.xlsx", STAFF),
    ("POST", "/staff/surveys/<int:questionnaire_id>/import", STAFF),
    ("POST", "/staff/surveys/<int:questionnaire_id>/codes", STAFF),
    ("POST", "/staff/surveys/<int:questionnaire_id>/publish", STAFF),
    ("GET", "/staff/surveys/<int:questionnaire_id>/qr.<any(png, svg):fmt>", STAFF),
    ("GET", "/staff/surveys/<int:questionnaire_id>/poster.pdf", STAFF),
    ("GET", "/staff/surveys/<int:questionnaire_id>/results", STAFF),
    ("GET", "/staff/surveys/<int:questionnaire_id>/answers.xlsx", STAFF),
    ("POST", "/staff/surveys/answers/<answer_id>/item", STAFF),
    ("GET", "/unit/surveys/", LIAISON),
    ("GET", "/unit/surveys/<int:questionnaire_id>", LIAISON),
]
ROLES = sorted(EVERYONE)
GATED = [(method, rule, allowed) for method, rule, allowed in ACCESS if allowed != EVERYONE]


def _app_routes(app) -> set[tuple[str, str]]:
    return {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_a_decided_role(app):
    routes = _app_routes(app)
    decided = {(method, rule) for method, rule, _ in ACCESS}
    assert sorted(routes - decided) == [], "routes without an entry in the access table"
    assert sorted(decided - routes) == [], "entries of the access table without a route"
    assert len(decided) == len(ACCESS), "a route is in the table twice"


def _url(rule: str) -> str:
    """The rule with an object that does not exist: the role gate answers before any lookup."""
    rule = re.sub(r"<any\(([a-z]+)[^)]*\):[a-z_]+>", r"\1", rule)
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "JD-2026-999999" if m.group(1) == "code" else "999999", rule)


def _verdict(response) -> str:
    if response.status_code == 302 and response.headers["Location"].startswith("/auth/login"):
        return "login"
    if response.status_code in (401, 403):
        return "denied"
    return "error" if response.status_code >= 500 else "passed"


@pytest.mark.parametrize("role", ROLES)
def test_the_role_gate_of_every_route(app, client, auth, users, role):
    """Each role (signed in once) against every gated route: the allowed pass the gate (their
    answer is then about the missing object), the others are denied or sent to sign in."""
    if role != "anonymous":
        assert auth.login(role).status_code == 302
    token = csrf_token_from(client.get("/jiandu/").get_data(as_text=True))
    wrong = []
    for method, rule, allowed in GATED:
        url = _url(rule)
        response = client.post(url, data={"csrf_token": token}) if method == "POST" else client.get(url)
        expected = "passed" if role in allowed else "login" if role == "anonymous" else "denied"
        if _verdict(response) != expected:
            wrong.append((method, rule, response.status_code, expected))
    assert wrong == []
