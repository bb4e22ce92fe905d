"""Reference data: the seeded units and categories, and the choices the forms offer."""
from sqlalchemy import select

from intake.extensions import db
from intake.reference.models import Category, Unit
from intake.reference.services import category_choices, unit_choices


def test_units_under_listed_supervision_come_first(app_ctx):
    choices = unit_choices("不确定")
    assert choices[0] == (0, "不确定")
    supervised = db.session.scalars(select(Unit).where(Unit.is_supervised.is_(True))).all()
    assert {u.code for u in supervised} == {"zwfw", "gk"}
    assert {label for _id, label in choices[1:3]} == {"县政务服务管理局", "县工业商务和科学技术信息局"}
    assert all(u.supervised_year == 2026 for u in supervised)


def test_inactive_units_are_not_offered(app_ctx):
    unit = db.session.scalar(select(Unit).where(Unit.code == "sj"))
    unit.is_active = False
    db.session.commit()
    assert unit.id not in {i for i, _label in unit_choices("-")}


def test_categories_are_offered_as_leaves_with_their_group(app_ctx):
    labels = [label for _id, label in category_choices("不确定")]
    assert "工作作风 / 服务态度" in labels and "营商环境 / 审批" in labels
    assert "工作作风" not in labels  # a group with children is not a choice itself
    assert "意见建议" in labels  # a group without children is


def test_reference_rows_carry_traditional_and_english_names(app_ctx):
    unit = db.session.scalar(select(Unit).where(Unit.code == "zwfw"))
    assert unit.name_zh_hant == "縣政務服務管理局"
    assert unit.name_en == "County Government Service Management Bureau"
    assert "政务大厅" in unit.alias_list
    category = db.session.scalar(select(Category).where(Category.code == "lianjie"))
    assert category.parent.code == "zuofeng"
