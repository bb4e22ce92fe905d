"""The XLSForm sheet: export → import → export gives the same workbook (every question, choice
and rule), and a bad file is a 400 with a message in the user's language, never a 500."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from intake.extensions import db
from intake.surveys import services, xlsform
from intake.surveys.models import QuestionKind
from tests.conftest import csrf_token_from

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _sheets(data: bytes) -> dict:
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book}


def _workbook(survey_rows, choice_rows=None) -> bytes:
    book = Workbook()
    book.active.title = "survey"
    for row in survey_rows:
        book.active.append(row)
    if choice_rows is not None:
        choices = book.create_sheet("choices")
        for row in choice_rows:
            choices.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip_with_a_text_file() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    return out.getvalue()


def test_a_sheet_with_languages_reads_its_first_label(app_ctx):
    data = _workbook([["type", "name", "label::Chinese (zh)", "label::English (en)"], ["text", "why", "为什么", "Why"]])
    _settings, [question] = xlsform.parse_xlsx(data)
    assert (question.name, question.label) == ("why", "为什么")


def test_round_trip_keeps_every_question_choice_and_rule(app_ctx, survey):
    q = services.questionnaire(survey.id)
    services.add_question(
        q,
        services.QuestionInput(
            name="which_hall",
            kind=QuestionKind.single,
            label="您在哪个窗口办事？",
            hint="看窗口上方的编号",
            choices=[("1", "1号窗口"), ("2", "2号窗口")],
            show_if=("attitude", "2"),
        ),
    )
    services.add_question(
        q,
        services.QuestionInput(
            name="after_multiple", kind=QuestionKind.text, label="请具体说说", show_if=("why_not", "papers")
        ),
    )
    db.session.commit()
    first = xlsform.export_xlsx(q)
    settings, questions = xlsform.parse_xlsx(first)
    copy = services.create_questionnaire(survey.cycle_id, survey.unit_id, "副本", q.opens_at, q.closes_at)
    services.import_definition(copy, questions, **settings)
    db.session.commit()
    assert [services.QuestionInput.of(x) for x in copy.questions] == [services.QuestionInput.of(x) for x in q.questions]
    assert copy.title == q.title and copy.intro == q.intro
    assert _sheets(xlsform.export_xlsx(copy)) == _sheets(first)
    survey_rows = _sheets(first)["survey"]
    assert survey_rows[0][:6] == ["type", "name", "label", "hint", "required", "relevant"]
    assert ["select_multiple why_not", "why_not"] == survey_rows[2][:2]
    assert (
        survey_rows[2][5] == "${satisfaction} = 'dissatisfied'"
        and survey_rows[-1][5] == "selected(${why_not}, 'papers')"
    )


@pytest.mark.parametrize(
    "case, expected",
    [
        ("garbage", "这不是 Excel 工作簿"),
        ("zip_not_workbook", "这不是 Excel 工作簿"),
        ("no_label", "缺少以下列：label"),
        ("unknown_type", "类型“geopoint”不是"),
        ("missing_list", "选项列表“yn”不在“choices”表中"),
        ("bad_relevant", "relevant 列只能写"),
        ("later_rule", "跳题规则只能引用前面的题目"),
        ("empty", "请选择一个 .xlsx 文件"),
    ],
)
def test_a_bad_workbook_is_a_400_with_a_message(app, client, auth, users, survey, case, expected):
    files = {
        "garbage": b"this is a text file",
        "zip_not_workbook": _zip_with_a_text_file(),
        "no_label": _workbook([["type", "name"], ["text", "a"]]),
        "unknown_type": _workbook([["type", "name", "label"], ["geopoint", "where", "在哪里"]]),
        "missing_list": _workbook(
            [["type", "name", "label"], ["select_one yn", "a", "是否"]], [["list_name", "name", "label"]]
        ),
        "bad_relevant": _workbook(
            [["type", "name", "label", "relevant"], ["integer", "a", "几次"], ["text", "b", "为什么", "${a} > 2"]]
        ),
        "later_rule": _workbook(
            [
                ["type", "name", "label", "relevant"],
                ["text", "b", "为什么", "${a} = '1'"],
                ["select_one yn", "a", "是否"],
            ],
            [["list_name", "name", "label"], ["yn", "1", "是"], ["yn", "0", "否"]],
        ),
        "empty": b"",
    }
    auth.login("staff")
    page = client.get(f"/staff/surveys/{survey.id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "workbook": (io.BytesIO(files[case]), "问卷.xlsx")}
    r = client.post(f"/staff/surveys/{survey.id}/import", data=data, content_type="multipart/form-data")
    assert r.status_code == 400 and expected in r.get_data(as_text=True)
    with app.app_context():
        assert len(services.questionnaire(survey.id).questions) == 7  # nothing replaced
