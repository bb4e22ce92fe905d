"""The unit list on the admin page (issue 17): responsibilities edited with the aliases and used
by the next suggestion, the whole list exported and imported as xlsx (all or nothing, a bad
file is a 400 with a message), and `classifier evaluate --set` on a small fixture."""

import io
import re

import pytest
from openpyxl import Workbook, load_workbook

from intake.extensions import db
from intake.reference.models import Unit
from intake.triage import suggestions
from intake.triage.suggest.calibration import Calibration
from tests.factories import create_item
from tests.helpers import csrf_token_from, post_form

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
FIXTURE = "tests/data/triage/evaluate_fixture.jsonl"


def _workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client, data: bytes):
    token = csrf_token_from(client.get("/staff/admin/rules").get_data(as_text=True))
    return client.post(
        "/staff/admin/units/import",
        data={"csrf_token": token, "sheet": (io.BytesIO(data), "units.xlsx")},
        content_type="multipart/form-data",
    )


def test_duties_and_the_unit_list_as_xlsx(app, client, auth, users, ref):
    auth.login("admin")
    page = client.get("/staff/admin/rules").get_data(as_text=True)
    assert "社会保险经办" in page and "不参加抽签" in page  # the tax bureau is never drawn
    # Responsibilities are evidence: a business only they name routes the next report.
    response = post_form(
        client, "/staff/admin/rules", {"threshold": "0.9", f"duties-{ref.unit['jt']}": "客运站管理、班车调度"}
    )
    assert response.status_code == 303
    with app.app_context():
        item = create_item(subject="班車調度太亂", body="早上的車總是不按時發。")
        db.session.commit()
        assert suggestions.apply_suggestions(item.id).unit_id == ref.unit["jt"]

    exported = client.get("/staff/admin/units.xlsx")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(exported.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:2] == ["code", "name"] and len(rows) == 1 + len(ref.unit)
    # One county's naming: the city management bureau, and a unit the seed lacks.
    cg = next(r for r in rows if r[0] == "cg")
    cg[1], cg[5] = "县城市管理局", "城管,城市管理局,城管大队"
    rows.append(["rf", "县人民防空办公室", None, None, "人防办", "人防办", "人防工程、防空警报", "no", "yes"])
    assert _upload(client, _workbook(rows)).status_code == 303
    with app.app_context():
        assert db.session.get(Unit, ref.unit["cg"]).name == "县城市管理局"
        rf = db.session.query(Unit).filter_by(code="rf").one()
        assert rf.duties == "人防工程、防空警报" and not rf.lottery_eligible

    # All or nothing, said in the user's language, what was there stays.
    bad = _upload(client, _workbook([rows[0], ["zz", "县某局", None, None, None, "", "", "maybe", "yes"]]))
    assert bad.status_code == 400 and "必须是 yes 或 no" in bad.get_data(as_text=True)
    not_xlsx = _upload(client, b"code,name\nzz,x\n")
    assert not_xlsx.status_code == 400 and "不是 xlsx" in not_xlsx.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Unit).filter_by(code="zz").one_or_none() is None


def test_the_item_page_says_why_no_unit_was_suggested(app, client, auth, users):
    with app.app_context():
        item = create_item(subject="请问", body="在政务服务中心窗口办事，工作人员让我等着。")
        db.session.commit()
        s = suggestions.apply_suggestions(item.id)
        db.session.commit()
        assert s.unit_id is None and s.unit_reason == "undecided" and item.unit_id is None
        item_id = item.id
    auth.login("staff")
    page = client.get(f"/staff/items/{item_id}").get_data(as_text=True)
    assert "现有依据不足以确定单位" in page and "<mark>政务服务中心</mark>" in page
    assert 'id="runner-up-unit"' in page and "县政务服务管理局" in page


def test_classifier_evaluate_on_a_set(app, runner, ref, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"unit": "yb"}\n', encoding="utf-8")
    result = runner.invoke(args=["intake", "classifier", "evaluate", "--set", str(bad), "--model", "none"])
    assert result.exit_code == 1 and "needs text, unit and category" in result.output
    result = runner.invoke(
        args=[
            "intake",
            "classifier",
            "evaluate",
            "--set",
            "tests/data/triage/evaluate_fixture.jsonl",
            "--model",
            "none",
        ]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert re.search(r"\| all \| 6 \| 0\.833 \| [01]\.\d{3} \| [01]\.\d{3} \| [01]\.\d{3} \| 2 \(1\) \|", out), out
    assert "| script hant | 2 |" in out and "| difficulty hard | 4 |" in out
    assert "tj → (none): 1" in out and "calibration, unit" in out and "| confidence | n |" in out
    assert "per class, category:" in out and "| (none) | 1 |" in out
    # Calibrating on the same fixture (for the test only: never on the set you evaluate on).
    fitted = tmp_path / "calibration.json"
    args = ["intake", "classifier", "calibrate", "--set", FIXTURE, "--out", str(fitted), "--model", "none"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    calibration = Calibration.load(fitted)
    assert set(calibration.points) == {"unit", "category"} and calibration.abstain == 0.3
    assert all(1 / 3 <= t <= 1.01 for t in calibration.auto_apply.values())


def test_classifier_evaluate_judges_the_same_texts_in_the_other_script(app, runner, ref):
    """--other-script: every report converted to the other script and judged again; the
    normalisation folds both scripts, so the suggestions do not change with the script."""
    result = runner.invoke(
        args=["intake", "classifier", "evaluate", "--set", FIXTURE, "--model", "none", "--other-script"]
    )
    assert result.exit_code == 0, result.output
    rows = re.findall(
        r"^\| (hans|hant) \| (\d+) \| ([\d.]+) / ([\d.]+) \| ([\d.]+) / ([\d.]+) \| ([\d.]+) \|$", result.output, re.M
    )
    assert [(script, n) for script, n, *_ in rows] == [("hans", "4"), ("hant", "2")], result.output
    for _script, _n, unit, unit_other, category, category_other, same in rows:
        assert (unit, category, same) == (unit_other, category_other, "1.000")
