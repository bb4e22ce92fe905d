"""Reference data: the seeded units and categories, and the choices the forms offer."""

from sqlalchemy import func, select

from intake.extensions import db
from intake.program.services import supervised_units
from intake.reference.models import Category, Unit
from intake.reference.services import category_choices, unit_choices


def test_units_under_listed_supervision_come_first(app_ctx):
    choices = unit_choices("不确定")
    assert choices[0] == (0, "不确定")
    supervised = supervised_units(2026)
    assert {u.code for u in supervised} == {"zwfw", "gk"}
    assert {label for _id, label in choices[1:3]} == {"县政务服务管理局", "县工业商务和科学技术信息局"}
    assert supervised_units() == supervised  # no year: the latest cycle that lists units


def test_vertically_managed_and_peoples_organisations_are_units_but_never_drawn(app_ctx):
    tax = db.session.scalar(select(Unit).where(Unit.code == "sw"))
    assert tax.name == "国家税务总局县税务局" and not tax.lottery_eligible
    assert tax.id in {i for i, _label in unit_choices("-")}  # reports can still be routed to it
    ineligible = db.session.scalars(select(Unit.code).where(Unit.lottery_eligible.is_(False))).all()
    assert set(ineligible) == {"sw", "zgh", "fl"}
    assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.lottery_eligible.is_(True))) == 28


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


def test_staff_see_each_unit_with_its_code_where_they_pick_units(app_ctx):
    from intake.reference.services import staff_unit_choices

    labels = dict(staff_unit_choices("-"))
    unit = db.session.scalar(select(Unit).where(Unit.code == "zwfw"))
    assert labels[unit.id] == f"{unit.display_name} [zwfw]"
