"""The demo of `make run` on top of the year's drawn units: two approved plans, a supervision
group of two members and a symposium with findings, so a newcomer sees the program at once.
Idempotent: what exists is left as it is."""

from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from intake.auth.models import Role, User
from intake.auth.services import create_user, find_user
from intake.extensions import db
from intake.program import groups, plans, services
from intake.program.models import CycleUnit, SupervisionCycle
from intake.program.plan_models import MeetingKind

DEMO_MEMBERS = [("weiyuan", "张建华（委员）"), ("weiyuan2", "李秀兰（委员）")]
DEMO_LIAISON = ("lianluo", "王芳（政务服务局联络员）")
LEADERS = [
    {"role": "组长", "name": "陈志强", "title": "县政协主席"},
    {"role": "副组长", "name": "刘永红", "title": "县政协副主席"},
    {"role": "成员", "name": "赵明", "title": "县政协秘书长"},
    {"role": "成员", "name": "张建华", "title": "民主监督小组组长"},
]
FINDINGS = [
    "不动产登记窗口午间无人值守，群众反映需下午再跑一趟。",
    "企业开办“一窗通办”仍需分别到税务、社保窗口补交材料。",
]


def _account(username: str, name: str, role: Role, password: str, unit_id: int | None = None) -> User:
    return find_user(username) or create_user(username, password, role, display_name=name, unit_id=unit_id)


def latest_cycle_with_units() -> SupervisionCycle | None:
    return db.session.scalars(
        select(SupervisionCycle)
        .join(CycleUnit, CycleUnit.cycle_id == SupervisionCycle.id)
        .order_by(SupervisionCycle.year.desc())
        .limit(1)
    ).first()


def seed_demo_work(password: str, actor_id: int) -> list[str]:
    """Plans, a group and a meeting for the latest cycle with drawn units; returns what it added.
    `actor_id` (staff or admin) writes and approves the plans."""
    cycle = latest_cycle_with_units()
    if cycle is None:
        return []
    done = []
    units = cycle.units[:2]
    for cu in units:
        plan = plans.plan_of(cu.id)
        if plan is None:
            plan = plans.start_plan(cu.id, actor_id)
            content = plans.PlanContent.of(plan.latest)
            content.leading_group = [dict(row) for row in LEADERS]
            plans.save_plan(plan, content, actor_id, "填写领导小组成员")
            done.append(f"plan of {cu.unit.code}")
        if plan.approved is None and plan.latest is not None:
            plans.approve_plan(plan, plan.latest.number, actor_id)
    first = units[0]
    members = [_account(u, n, Role.member, password) for u, n in DEMO_MEMBERS]
    _account(DEMO_LIAISON[0], DEMO_LIAISON[1], Role.liaison, password, unit_id=first.unit_id)
    if groups.group_of(first.id) is None:
        groups.set_group(
            first.id,
            f"{first.unit.short_name or first.unit.name}民主监督小组",
            members[0].id,
            [m.id for m in members[1:]],
        )
        done.append(f"group of {first.unit.code}")
    if not groups.meetings_of(first.id):
        held_on = date(cycle.year, 4, 8)
        meeting = groups.record_meeting(
            first.id,
            groups.MeetingInput(
                kind=MeetingKind.symposium,
                held_on=held_on,
                place=f"{first.unit.name}三楼会议室",
                participants="民主监督小组全体成员，企业代表5名，办事群众代表3名，" + first.unit.name + "分管负责人",
                minutes="听取了" + first.unit.name + "关于窗口服务和“只跑一次”改革情况的汇报，企业和群众代表逐一发言，"
                "小组成员就窗口值守、材料精简等问题与单位负责人交流。",
                findings=FINDINGS,
            ),
            members[0].id,
        )
        groups.finding_to_item(meeting.findings[0], members[0], current_app.config["TRACKING_PREFIX"])
        done.append(f"meeting of {first.unit.code}")
    db.session.flush()
    return done


# The demo lottery, held as the article tells it: at the mobilisation meeting, three dice thrown
# before witnesses, their faces read left to right.
DEMO_BEACON_SOURCE = "动员部署会议上当众投掷三枚骰子，从左到右读数（演示）"
DEMO_BEACON_FORMAT = "N N N"
DEMO_BEACON = "3 5 2"


def seed_demo_lottery(year: int, actor_id: int) -> list[str]:
    """A committed and drawn lottery for `year` (two of the eligible units), with the stages
    dated from a mobilisation meeting on April 1st. Returns what it added."""
    done = []
    cycle = services.get_cycle(year)
    if cycle is None:
        cycle = services.create_cycle(year, starts_on=date(year, 4, 1), actor_id=actor_id)
        done.append(f"cycle {year}")
    if cycle.current_commitment is None:
        services.commit_draw(year, 2, DEMO_BEACON_SOURCE, DEMO_BEACON_FORMAT, {}, actor_id=actor_id)
        done.append(f"lottery {year} committed")
    if cycle.draw is None:
        services.run_draw(year, DEMO_BEACON, actor_id=actor_id)
        done.append(f"lottery {year} drawn")
    db.session.flush()
    return done


@click.command("demo-program")
@click.option("--password", required=True, help="Password of the demo member and liaison accounts.")
@click.option("--actor", default="demo", show_default=True, help="Staff or admin account that approves the plans.")
@click.option(
    "--lottery",
    "lottery_year",
    type=int,
    default=None,
    help="First commit and draw a demo lottery for this year (its drawn units get the plans).",
)
@with_appcontext
def demo_program_command(password: str, actor: str, lottery_year: int | None) -> None:
    """Demo lottery, plans, group and meeting for `make run` (idempotent)."""
    user = find_user(actor)
    if user is None or not user.is_staff:
        raise click.ClickException(f"{actor}: no such staff or admin account")
    added = seed_demo_lottery(lottery_year, user.id) if lottery_year else []
    added += seed_demo_work(password, user.id)
    db.session.commit()
    click.echo("demo program: " + (", ".join(added) if added else "nothing to add"))
