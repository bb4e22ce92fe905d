"""The demo of `make run` for the appraisal: a counted secret ballot on the latest cycle's
units (nine members of the standing committee, one abstaining from voting), opinions handed
over and the first unit's notice issued, so its plaque and notice print at once. Idempotent."""

from datetime import timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from intake.appraisal import ballot
from intake.appraisal.facts import unit_items
from intake.appraisal.models import AppraisalSession, Grade, OpinionSource, SessionState
from intake.appraisal.services import opinions
from intake.appraisal.services.voting import SessionInput, cast_vote, close_session, count_ballots, create_session
from intake.appraisal.services.voting import open_session as open_voting
from intake.auth.models import Role
from intake.auth.services import create_user, find_user
from intake.extensions import db
from intake.program.plan_demo import DEMO_MEMBERS, latest_cycle_with_units
from intake.timeutil import utcnow

STANDING_COMMITTEE = [
    ("changwei1", "周国平（常委）"),
    ("changwei2", "吴丽华（常委）"),
    ("changwei3", "郑海涛（常委）"),
    ("changwei4", "孙桂英（常委）"),
    ("changwei5", "马文斌（常委）"),
    ("changwei6", "朱红梅（常委）"),
    ("changwei7", "胡建军（常委）"),
]
S, B, D = Grade.satisfied, Grade.basic, Grade.dissatisfied
# One ballot per voter, a mark per unit: the first unit earns 满意, the second 基本满意.
DEMO_BALLOTS = [[S, B], [S, S], [S, B], [S, D], [B, B], [S, B], [S, None], [D, D]]
STAFF_OPINION = "建议进一步压缩企业开办和不动产登记办理时限，在政务服务大厅设立“办不成事”反映窗口，公开受理群众诉求。"


def seed_demo_appraisal(password: str, actor_id: int) -> list[str]:
    cycle = latest_cycle_with_units()
    if cycle is None:
        return []
    if db.session.scalar(select(AppraisalSession.id).where(AppraisalSession.cycle_id == cycle.id).limit(1)):
        return []
    accounts = DEMO_MEMBERS + STANDING_COMMITTEE
    members = [find_user(u) or create_user(u, password, Role.member, display_name=name) for u, name in accounts]
    units = cycle.units[:2]
    now = utcnow()
    session = create_session(
        cycle.year,
        SessionInput(
            title=f"{cycle.year}年度政协常委会民主评议（演示）",
            opens_at=now - timedelta(hours=2),
            closes_at=now + timedelta(hours=1),
            member_ids=[m.id for m in members],
            cycle_unit_ids=[cu.id for cu in units],
            tellers="监票人：周国平、吴丽华；计票人：政协办公室 赵明",
        ),
        actor_id,
    )
    private = open_voting(session, actor_id)
    for member, marks in zip(members, DEMO_BALLOTS):
        cast_vote(session, member.id, marks[: len(units)])
    close_session(session, actor_id)
    count_ballots(session, ballot.key_code(private), actor_id)
    done = [f"appraisal of {cycle.year} counted"]
    first = units[0]
    items = unit_items(first)
    for item in items[:2]:
        opinions.add_item_opinion(first, item.id, actor_id)
    opinions.add_opinion(first, opinions.OpinionInput(OpinionSource.staff, STAFF_OPINION), actor_id)
    opinions.issue_notice(first, actor_id)
    done.append(f"notice to {first.unit.code} issued")
    db.session.flush()
    assert session.state is SessionState.counted
    return done


@click.command("demo-appraisal")
@click.option("--password", required=True, help="Password of the demo members of the standing committee.")
@click.option("--actor", default="demo", show_default=True, help="Staff or admin account that runs the session.")
@with_appcontext
def demo_appraisal_command(password: str, actor: str) -> None:
    """A counted secret ballot, opinions and an issued notice for `make run` (idempotent)."""
    user = find_user(actor)
    if user is None or not user.is_staff:
        raise click.ClickException(f"{actor}: no such staff or admin account")
    added = seed_demo_appraisal(password, user.id)
    db.session.commit()
    click.echo("demo appraisal: " + (", ".join(added) if added else "nothing to add"))
