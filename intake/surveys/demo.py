"""The demo of `make run`: the template questionnaire on the first drawn unit of the latest
cycle, open now, with a few dozen answers spread over the last three weeks (so its results page
has charts) and its results published to the unit's demo liaison. Idempotent."""

import random
from datetime import timedelta

import click
from flask.cli import with_appcontext

from intake.auth.services import find_user
from intake.extensions import db
from intake.program.plan_demo import latest_cycle_with_units
from intake.surveys import answering, results, services
from intake.timeutil import local_today, utcnow

ANSWERS = 36
PROBLEMS = [
    "午间窗口无人值守，只能下午再来。",
    "材料清单和窗口说的不一样，补了两次材料。",
    "排队叫号屏经常不显示，不知道轮到谁。",
    "希望能在手机上预约，少跑一趟。",
    "停车位太少。",
]
SUGGESTIONS = ["增加午间值班窗口", "一次性告知需要的全部材料", "推行网上预约和帮办代办", "增加自助填表指引"]


def _demo_answer(rng: random.Random) -> dict[str, list[str]]:
    satisfaction = rng.choices(["satisfied", "basically", "dissatisfied"], weights=[60, 28, 12])[0]
    answer = {
        "satisfaction": [satisfaction],
        "waited": rng.choices(["w10", "w30", "w60", "w60plus"], weights=[45, 35, 15, 5]),
        "trips": [str(rng.choices([1, 2, 3, 4], weights=[62, 25, 10, 3])[0])],
        "attitude": [str(rng.choices([5, 4, 3, 2], weights=[45, 35, 15, 5])[0])],
    }
    if satisfaction == "dissatisfied":
        answer["why_not"] = rng.sample(["attitude", "speed", "papers", "fees"], k=rng.randint(1, 2))
    if rng.random() < 0.4:
        answer["key_problem"] = [rng.choice(PROBLEMS)]
    if rng.random() < 0.3:
        answer["suggestions"] = [rng.choice(SUGGESTIONS)]
    return answer


def seed_demo_survey(actor_id: int) -> list[str]:
    cycle = latest_cycle_with_units()
    if cycle is None:
        return []
    unit = cycle.units[0].unit
    if results.questionnaires_of_unit(cycle, unit):
        return []
    now = utcnow()
    q = services.create_questionnaire(
        cycle.id, unit.id, "", now - timedelta(days=21), now + timedelta(days=30), from_template=True, actor_id=actor_id
    )
    rng = random.Random(13)
    today = local_today()
    for _ in range(ANSWERS):
        values = _demo_answer(rng)
        submission = answering.read_submission(q, lambda name, values=values: values.get(name[2:], []))
        answering.store_response(q, submission, today - timedelta(days=rng.randint(0, 20)))
    services.set_results_published(q, True)
    return [f"questionnaire on {unit.code} with {ANSWERS} answers"]


@click.command("demo-surveys")
@click.option(
    "--actor", default="demo", show_default=True, help="Staff or admin account that builds the questionnaire."
)
@with_appcontext
def demo_surveys_command(actor: str) -> None:
    """A demo questionnaire with answers and charts for `make run` (idempotent)."""
    user = find_user(actor)
    if user is None or not user.is_staff:
        raise click.ClickException(f"{actor}: no such staff or admin account")
    added = seed_demo_survey(user.id)
    db.session.commit()
    click.echo("demo questionnaires: " + (", ".join(added) if added else "nothing to add"))
