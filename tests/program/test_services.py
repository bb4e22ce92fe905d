"""Cycles, stages and the lottery against the database, on both backends: the record is sealed
(by the services and by the database itself), the pool holds only eligible units."""

import json
from datetime import date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from intake.extensions import db
from intake.program import lottery, services
from intake.program.models import CycleUnit, LotteryCommitment, SelectionMethod, StageKind, StageState
from intake.reference.models import Unit


def test_a_cycle_has_its_eight_stages_with_due_dates_in_working_days(app_ctx):
    cycle = services.create_cycle(2025, starts_on=date(2025, 4, 1))
    assert [s.kind for s in cycle.stages] == list(StageKind)
    due = {s.kind: s.due_on for s in cycle.stages}
    assert due[StageKind.mobilisation] == date(2025, 4, 1)
    # 5 working days after Tue 1 April 2025: Qingming (Fri 4 - Sun 6 April) is off.
    assert due[StageKind.lottery] == date(2025, 4, 9)
    with pytest.raises(services.ProgramError):
        services.create_cycle(2025)
    with pytest.raises(services.ProgramError):
        services.create_cycle(2028, starts_on=date(2027, 12, 1))  # the meeting is in the year


def test_late_stages_are_those_pending_past_their_date(app_ctx):
    cycle = services.create_cycle(2027, starts_on=date(2027, 4, 1))
    stage = cycle.stages[0]
    assert stage in services.late_stages(today=date(2027, 4, 2))
    assert services.late_stages(today=date(2027, 4, 1)) == []
    services.mark_stage_done(stage.id)
    assert stage.state is StageState.done and stage.done_at is not None
    assert stage not in services.late_stages(today=date(2027, 4, 2))
    rows = services.timeline(cycle, today=date(2027, 4, 2))
    assert rows[1].workdays_left is not None and not rows[1].late


def test_seed_lists_its_two_units_in_the_year_given(app_ctx):
    assert {u.code for u in services.supervised_units(2026)} == {"zwfw", "gk"}
    assert services.supervised_units(2025) == []


def test_an_ineligible_unit_is_never_in_the_pool(app_ctx, cycle_2027):
    tax = db.session.scalar(select(Unit).where(Unit.code == "sw"))
    assert not tax.lottery_eligible
    commitment = services.commit_draw(2027, 2, "福彩3D", "N N N")
    codes = {u["code"] for u in commitment.pool}
    assert "sw" not in codes and "zgh" not in codes and "fl" not in codes
    assert len(codes) == 28
    with pytest.raises(services.ProgramError):  # not even as an exclusion
        services.commit_draw(2027, 2, "福彩3D", "", {"sw": "垂直管理"}, correction_reason="更正")


def test_commit_then_draw_lists_the_drawn_units(app_ctx, committed_2027):
    commitment = services.get_cycle(2027).current_commitment
    assert {e["code"] for e in commitment.exclusions} == {"zwfw", "gk"}
    assert commitment.pool_sha256 == lottery.pool_sha256(commitment.pool_json)
    draw = services.run_draw(2027, "３　７　２")
    assert draw.beacon == "3 7 2" and draw.beacon_as_entered == "３　７　２"
    expected = lottery.rank("3 7 2", [u["code"] for u in commitment.pool])[:2]
    assert draw.selected == [r["code"] for r in expected]
    assert [u.code for u in services.supervised_units(2027)] == sorted(
        draw.selected, key=lambda c: db.session.scalar(select(Unit.sort_order).where(Unit.code == c))
    )
    rows = db.session.scalars(select(CycleUnit).where(CycleUnit.cycle_id == draw.cycle_id)).all()
    assert {r.selection for r in rows} == {SelectionMethod.lottery}
    assert services.supervised_units() == services.supervised_units(2027)  # the latest year now


def test_a_value_not_in_the_committed_format_is_refused(app_ctx, committed_2027):
    for wrong in ("372", "3-7-2", "", "3 7"):
        with pytest.raises(services.ProgramError):
            services.run_draw(2027, wrong)
    assert services.get_cycle(2027).draw is None


def test_no_redraw_and_no_correction_after_the_draw(app_ctx, committed_2027):
    services.run_draw(2027, "3 7 2")
    db.session.commit()
    with pytest.raises(services.ProgramError):
        services.run_draw(2027, "4 5 6")
    with pytest.raises(services.ProgramError):
        services.commit_draw(2027, 3, "another", correction_reason="change of mind")


def test_a_correction_before_the_draw_is_a_new_commitment_with_its_reason(app_ctx, committed_2027):
    with pytest.raises(services.ProgramError):
        services.commit_draw(2027, 3, "福彩3D 第2027096期")  # no reason
    second = services.commit_draw(2027, 3, "福彩3D 第2027096期", "N N N", correction_reason="开奖期号写错")
    db.session.commit()
    cycle = services.get_cycle(2027)
    assert [c.sequence for c in cycle.commitments] == [1, 2]
    assert cycle.current_commitment is second
    record = services.draw_record(cycle)
    assert [c["correction_reason"] for c in record["commitments"]] == [None, "开奖期号写错"]
    assert record["count"] == 3 and record["beacon_source"] == "福彩3D 第2027096期"


def test_bad_input_gives_a_message(app_ctx, cycle_2027):
    for kwargs in (
        dict(count=0, beacon_source="x"),
        dict(count=99, beacon_source="x"),
        dict(count=2, beacon_source="  "),
        dict(count=2, beacon_source="x", exclusions={"nope": "r"}),
        dict(count=2, beacon_source="x", exclusions={"cz": " "}),
    ):
        with pytest.raises(services.ProgramError):
            services.commit_draw(2027, **kwargs)
    with pytest.raises(services.ProgramError):
        services.commit_draw(2031, 2, "x")  # no cycle
    with pytest.raises(services.ProgramError):
        services.run_draw(2027, "3 7 2")  # nothing committed


RAW_CHANGES = [
    "UPDATE lottery_commitments SET draw_count = 5",
    "UPDATE lottery_commitments SET pool_json = '[]'",
    "DELETE FROM lottery_commitments",
    "UPDATE lottery_draws SET beacon = '1 1 1'",
    "DELETE FROM lottery_draws",
    "UPDATE cycle_units SET selection = 'manual' WHERE selection = 'lottery'",
    "DELETE FROM cycle_units WHERE selection = 'lottery'",
]


@pytest.mark.parametrize("statement", RAW_CHANGES)
def test_the_database_refuses_raw_changes_to_the_sealed_record(app_ctx, committed_2027, statement):
    services.run_draw(2027, "3 7 2")
    db.session.commit()
    before = json.dumps(services.draw_record(services.get_cycle(2027)), sort_keys=True)
    with pytest.raises((IntegrityError, DBAPIError)) as refused:
        db.session.execute(text(statement))
        db.session.flush()
    assert "sealed" in str(refused.value)
    db.session.rollback()
    db.session.expire_all()
    assert json.dumps(services.draw_record(services.get_cycle(2027)), sort_keys=True) == before


def test_the_database_refuses_a_commitment_after_the_draw_and_a_draw_of_an_old_commitment(app_ctx, committed_2027):
    services.commit_draw(2027, 2, "福彩3D 第2027096期", "N N N", correction_reason="期号")
    db.session.commit()
    cycle = services.get_cycle(2027)
    first = cycle.commitments[0]
    values = {"cycle_id": cycle.id, "commitment_id": first.id, "now": datetime(2027, 5, 1)}
    with pytest.raises((IntegrityError, DBAPIError)):
        db.session.execute(
            text(
                "INSERT INTO lottery_draws (cycle_id, commitment_id, algorithm, beacon, beacon_as_entered, scores_json,"
                " selected_json, drawn_at) VALUES (:cycle_id, :commitment_id, 'x', '1', '1', '[]', '[]', :now)"
            ),
            values,
        )
    db.session.rollback()
    services.run_draw(2027, "1 2 3")
    db.session.commit()
    with pytest.raises((IntegrityError, DBAPIError)):
        db.session.execute(
            text(
                "INSERT INTO lottery_commitments (cycle_id, sequence, draw_count, beacon_source, beacon_format, pool_json,"
                " pool_sha256, exclusions_json, correction_reason, committed_at)"
                " VALUES (:cycle_id, 3, 1, 's', '', '[]', 'x', '[]', 'r', :now)"
            ),
            values,
        )
    db.session.rollback()


def test_a_sealed_commitment_refuses_changes_through_the_orm_too(app_ctx, committed_2027):
    commitment = db.session.scalar(select(LotteryCommitment))
    commitment.draw_count = 9
    with pytest.raises((IntegrityError, DBAPIError)):
        db.session.commit()
    db.session.rollback()


def test_items_and_tasks_of_the_year_about_listed_units_belong_to_the_cycle(app_ctx, ref, users):
    from intake.rectification.services.routing import route_items_to_unit
    from tests.factories import create_item

    start, end = services.year_bounds(2026)
    assert start == datetime(2025, 12, 31, 16) and end == datetime(2026, 12, 31, 16)  # Asia/Shanghai
    listed = create_item(unit_id=ref.unit["zwfw"])
    other = create_item(unit_id=ref.unit["cz"])  # not under supervision in 2026
    late = create_item(unit_id=ref.unit["gk"])
    db.session.flush()
    listed.received_at, other.received_at = datetime(2026, 3, 1), datetime(2026, 3, 1)
    late.received_at = datetime(2026, 12, 31, 17)  # 1 January 2027 in the county: next year's
    task = route_items_to_unit(
        [listed.id], ref.unit["zwfw"], "态度生硬", "整改", users["staff"], today=date(2026, 3, 2)
    )
    task.created_at = datetime(2026, 3, 2, 2)
    db.session.flush()
    assert db.session.scalars(services.cycle_items_query(2026)).all() == [listed]
    assert db.session.scalars(services.cycle_tasks_query(2026)).all() == [task]
    assert services.cycle_counts(2026) == (1, 1)
    assert services.cycle_counts(2027) == (0, 0)  # no cycle lists anyone in 2027
