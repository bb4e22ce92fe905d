"""The program's pages: staff create a cycle, edit stages, commit and draw; the public sees the
record and draw.json, which the repository's stdlib script verifies."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from intake.extensions import db
from intake.program import services
from tests.conftest import csrf_token_from

VERIFY = Path(__file__).resolve().parents[2] / "tools" / "verify_draw.py"


@pytest.fixture
def staff_client(client, auth, users):
    auth.login("staff")
    return client


def _token(client, url="/staff/program/"):
    return csrf_token_from(client.get(url).get_data(as_text=True))


def test_staff_create_a_cycle_and_see_its_timeline(staff_client):
    token = _token(staff_client)
    r = staff_client.post("/staff/program/", data={"csrf_token": token, "year": "2027", "starts_on": "2027-04-01"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/staff/program/2027")
    page = staff_client.get("/staff/program/2027").get_data(as_text=True)
    assert page.count('data-stage="') == 8 and "2027-04-01" in page


def test_a_bad_cycle_form_keeps_what_was_typed(staff_client):
    token = _token(staff_client)
    r = staff_client.post("/staff/program/", data={"csrf_token": token, "year": "1999", "starts_on": "2027-04-01"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert 'value="1999"' in page and 'value="2027-04-01"' in page
    r = staff_client.post("/staff/program/", data={"csrf_token": token, "year": "2026"})  # exists (seed)
    assert r.status_code == 400 and 'value="2026"' in r.get_data(as_text=True)
    assert "该年度的民主监督已存在" in r.get_data(as_text=True)
    r = staff_client.post("/staff/program/", data={"csrf_token": token, "year": "2028", "starts_on": "2027-04-01"})
    assert r.status_code == 400 and 'value="2027-04-01"' in r.get_data(as_text=True)
    r = staff_client.post("/staff/program/", data={"csrf_token": token, "year": "abc"})
    assert r.status_code == 400 and 'value="abc"' in r.get_data(as_text=True)


def test_forms_need_their_csrf_token(staff_client, cycle_2027):
    r = staff_client.post("/staff/program/2027/commit", data={"count": "2", "beacon_source": "x"})
    assert r.status_code == 400


def test_edit_a_stage_and_mark_it_done(app, staff_client, cycle_2027):
    with app.app_context():
        stage_id = services.get_cycle(2027).stages[2].id
    token = _token(staff_client, "/staff/program/2027")
    r = staff_client.post(
        f"/staff/program/2027/stages/{stage_id}",
        data={"csrf_token": token, f"s{stage_id}-owner": "县政协办公室", f"s{stage_id}-due_on": "2027-05-20"},
    )
    assert r.status_code == 303
    r = staff_client.post(
        f"/staff/program/2027/stages/{stage_id}",
        data={"csrf_token": token, f"s{stage_id}-owner": "某人", f"s{stage_id}-due_on": "2027-13-40"},
    )
    assert r.status_code == 400 and 'value="2027-13-40"' in r.get_data(as_text=True)
    r = staff_client.post(f"/staff/program/2027/stages/{stage_id}/done", data={"csrf_token": token})
    assert r.status_code == 303
    with app.app_context():
        stage = services.get_cycle(2027).stages[2]
        assert stage.owner == "县政协办公室" and stage.due_on.isoformat() == "2027-05-20" and stage.done_at
    # A stage of another year is not found under this one.
    with app.app_context():
        other = services.get_cycle(2026).stages[0].id
    assert staff_client.post(f"/staff/program/2027/stages/{other}/done", data={"csrf_token": token}).status_code == 404


def test_the_dashboard_says_what_is_late(app, staff_client):
    with app.app_context():
        services.create_cycle(2020, starts_on=__import__("datetime").date(2020, 4, 1))  # long past, never done
        db.session.commit()
    page = staff_client.get("/staff/").get_data(as_text=True)
    assert 'data-late-stage="mobilisation"' in page and page.count('data-late-year="2020"') == 1
    assert "2020 年度“动员部署”应于 2020-04-01 完成" in page and "另有 7 个环节逾期" in page
    assert 'class="late"' in staff_client.get("/staff/program/2020").get_data(as_text=True)


def test_commit_draw_and_verify_with_the_stdlib_script(app, staff_client, client, cycle_2027, tmp_path):
    token = _token(staff_client, "/staff/program/2027")
    data = {
        "csrf_token": token,
        "count": "2",
        "beacon_source": "福彩3D 第2027095期 开奖号码",
        "beacon_format": "N N N",
        "exclude-zwfw": "上年度已挂牌监督",
    }
    assert staff_client.post("/staff/program/2027/commit", data=data).status_code == 303
    committed = client.get("/program/2027/draw.json").get_json()
    assert committed["count"] == 2 and "beacon" not in committed
    assert "zwfw" not in {u["code"] for u in committed["pool"]}
    # Wrong format: refused with a message, the value kept.
    r = staff_client.post("/staff/program/2027/draw", data={"csrf_token": token, "beacon": "372"})
    assert r.status_code == 400 and 'value="372"' in r.get_data(as_text=True)
    r = staff_client.post("/staff/program/2027/draw", data={"csrf_token": token, "beacon": "３ ７ ２"})
    assert r.status_code == 303
    record = client.get("/program/2027/draw.json").get_json()
    for field in (
        "year",
        "pool",
        "pool_sha256",
        "beacon_format",
        "count",
        "beacon_source",
        "committed_at",
        "beacon",
        "drawn_at",
        "scores",
        "selected",
    ):
        assert field in record
    assert record["beacon"] == "3 7 2" and len(record["selected"]) == 2
    assert [u["code"] for u in record["pool"]] == sorted(u["code"] for u in record["pool"])
    path = tmp_path / "draw.json"
    path.write_bytes(client.get("/program/2027/draw.json").get_data())
    done = subprocess.run([sys.executable, str(VERIFY), str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verified" in done.stdout and " ".join(record["selected"]) in done.stdout
    # The README's ten lines say the same.
    readme = (VERIFY.parents[1] / "README.md").read_text(encoding="utf-8")
    snippet = readme.split("heart is ten lines", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    done = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "verified" in done.stdout, done.stderr
    # A forged record fails.
    forged = dict(record, selected=list(reversed(record["selected"])))
    path.write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    assert subprocess.run([sys.executable, str(VERIFY), str(path)], capture_output=True, timeout=60).returncode == 1
    page = client.get("/program/2027").get_data(as_text=True)
    assert "福彩3D 第2027095期 开奖号码" in page and 'id="draw-result"' in page
    # No redraw through the page either.
    r = staff_client.post("/staff/program/2027/draw", data={"csrf_token": token, "beacon": "4 5 6"})
    assert r.status_code in (400, 200) and 'id="draw-form"' not in r.get_data(as_text=True)


def test_a_correction_shows_beside_the_old_commitment(staff_client, client, committed_2027):
    token = _token(staff_client, "/staff/program/2027")
    data = {"csrf_token": token, "count": "2", "beacon_source": "福彩3D 第2027096期", "beacon_format": "N N N"}
    r = staff_client.post("/staff/program/2027/commit", data=data)
    assert r.status_code == 400 and "福彩3D 第2027096期" in r.get_data(as_text=True)  # no reason: kept, refused
    data["correction_reason"] = "期号写错"
    assert staff_client.post("/staff/program/2027/commit", data=data).status_code == 303
    page = client.get("/program/2027").get_data(as_text=True)
    assert 'id="commitment-1"' in page and 'id="commitment-2"' in page and "期号写错" in page


@pytest.mark.parametrize(
    "url", ["/program/2031", "/program/2031/draw.json", "/program/99999/draw.json", "/program/abc", "/program/1800"]
)
def test_an_unknown_year_is_a_404_with_a_message(client, url):
    r = client.get(url)
    assert r.status_code == 404


def test_unknown_year_messages(client):
    assert "2031" in client.get("/program/2031").get_data(as_text=True)
    assert "2031" in client.get("/program/2031/draw.json").get_json()["error"]


def test_public_units_pages_follow_the_cycles(app, client, committed_2027):
    assert "县政务服务管理局" in client.get("/jiandu/units/").get_data(as_text=True)
    assert client.get("/jiandu/units/zwfw").status_code == 200  # 2026's units, the latest listed
    with app.app_context():
        selected = services.run_draw(2027, "3 7 2").selected
        db.session.commit()
    assert client.get(f"/jiandu/units/{selected[0]}").status_code == 200
    assert client.get("/jiandu/units/zwfw").status_code == 404  # excluded in 2027, not listed now
    assert client.get("/jiandu/units/zwfw?year=2026").status_code == 200  # its year's figures stay public
    assert client.get(f"/jiandu/units/{selected[0]}?year=2026").status_code == 404
    assert client.get("/jiandu/units/sw").status_code == 404


@pytest.mark.parametrize(
    "locale, words",
    [
        ("zh_Hans", ["2027 年度民主监督：抽签", "随机数来源"]),
        ("zh_Hant", ["2027 年度民主監督：抽籤", "隨機數來源"]),
        ("en", ["Supervision 2027: the lottery", "Source of the random value"]),
    ],
)
def test_the_public_page_in_each_language(client, committed_2027, locale, words):
    page = client.get(f"/program/2027?lang={locale}").get_data(as_text=True)
    for word in words:
        assert word in page


def test_staff_pages_in_each_language(staff_client, committed_2027):
    assert "Stages" in staff_client.get("/staff/program/2027?lang=en").get_data(as_text=True)
    assert "工作環節" in staff_client.get("/staff/program/2027?lang=zh_Hant").get_data(as_text=True)
    assert "工作环节" in staff_client.get("/staff/program/2027?lang=zh_Hans").get_data(as_text=True)


def test_a_year_not_yet_committed_and_the_list_of_years(client, cycle_2027):
    page = client.get("/program/2027").get_data(as_text=True)
    assert 'id="no-commitment"' in page
    assert client.get("/program/2027/draw.json").get_json() == {"year": 2027, "committed": False}
    years = client.get("/program/").get_data(as_text=True)
    assert "/program/2027" in years and "/program/2026" in years


def test_a_draw_run_elsewhere_meanwhile_is_a_message_not_a_500(app, staff_client, committed_2027, monkeypatch):
    token = _token(staff_client, "/staff/program/2027")
    real = services.run_draw

    def another_process_drew_first(year, beacon, actor_id=None):
        monkeypatch.setattr(services, "run_draw", real)
        other = app.test_cli_runner().invoke(
            args=["intake", "program", "draw", "run", "--year", "2027", "--beacon", "1 2 3"]
        )
        assert other.exit_code == 0, other.output
        return real(year, beacon, actor_id)

    monkeypatch.setattr(services, "run_draw", another_process_drew_first)
    r = staff_client.post("/staff/program/2027/draw", data={"csrf_token": token, "beacon": "4 5 6"})
    assert r.status_code == 400  # the service saw it
    with app.app_context():
        assert services.get_cycle(2027).draw.beacon == "1 2 3"


def test_a_draw_run_between_the_check_and_the_insert_is_refused_by_the_database(
    app, staff_client, committed_2027, monkeypatch
):
    from intake.program import lottery

    token = _token(staff_client, "/staff/program/2027")
    real_rank = lottery.rank

    def another_process_drew_meanwhile(beacon, codes):
        monkeypatch.setattr(lottery, "rank", real_rank)
        other = app.test_cli_runner().invoke(
            args=["intake", "program", "draw", "run", "--year", "2027", "--beacon", "1 2 3"]
        )
        assert other.exit_code == 0, other.output
        return real_rank(beacon, codes)

    monkeypatch.setattr(lottery, "rank", another_process_drew_meanwhile)
    r = staff_client.post("/staff/program/2027/draw", data={"csrf_token": token, "beacon": "4 5 6"})
    assert r.status_code == 409 and "其他人刚刚同时更改了抽签记录" in r.get_data(as_text=True)
    with app.app_context():
        assert services.get_cycle(2027).draw.beacon == "1 2 3"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_script_reads_draw_json_from_a_url(app, live_server, committed_2027):
    with app.app_context():
        services.run_draw(2027, "3 7 2")
        db.session.commit()
    done = subprocess.run(
        [sys.executable, str(VERIFY), f"{live_server}/program/2027/draw.json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "verified" in done.stdout, done.stdout + done.stderr
