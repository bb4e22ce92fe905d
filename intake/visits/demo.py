"""The visits' demo for `make run`: on the latest year with drawn units, the demo member's
unannounced visit (暗访) to the first unit's window, its checklist answered, a photo, and a
finding that became a feedback item. Idempotent: the visit has a fixed UUID."""

import io
from datetime import datetime, timedelta

import click
from flask.cli import with_appcontext

from intake.auth.services import find_user
from intake.extensions import db
from intake.program.plan_demo import DEMO_MEMBERS, latest_cycle_with_units
from intake.timeutil import county_zone
from intake.visits import services

DEMO_UUID = "0d3e1f52-7a4b-4c1e-9a55-2f6a0b7c9d10"
FINDING = (
    "政务服务大厅不动产登记窗口：群众反映因未带身份证复印件被要求回去复印，大厅内无自助复印设备，未落实“一次办好”。"
)
NOTES = (
    "上午九点四十分到大厅，取号后排队。等候的群众说已经是第二次来办同一件事。"
    "窗口工作人员态度尚可，但没有一次性告知所需材料。收费标准已在窗口上方公示。"
)


def _photo() -> bytes:
    """A drawn stand-in for a photo of the queue (the demo has no camera)."""
    from PIL import Image, ImageDraw  # the `intake` commands are registered in every process

    image = Image.new("RGB", (960, 640), (236, 239, 242))
    draw = ImageDraw.Draw(image)
    for n in range(6):
        draw.rectangle((60 + n * 140, 260, 140 + n * 140, 560), fill=(90 + n * 20, 110, 140))
    draw.rectangle((0, 0, 960, 120), fill=(180, 35, 42))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def seed_demo_visit() -> list[str]:
    """The demo 暗访 visit, unless it is there; returns what it added."""
    cycle = latest_cycle_with_units()
    member = find_user(DEMO_MEMBERS[0][0])
    if cycle is None or member is None or services.visit_by_uuid(DEMO_UUID) is not None:
        return []
    unit = cycle.units[0].unit
    # April of the year, or yesterday when the year's April is still ahead (a demo of next year).
    yesterday = datetime.now(county_zone()).replace(tzinfo=None, second=0, microsecond=0) - timedelta(days=1)
    visited_at = min(datetime(cycle.year, 4, 20, 9, 40), yesterday)
    services.record_visit(
        services.VisitInput(
            uuid=DEMO_UUID,
            cycle_id=cycle.id,
            unit_id=unit.id,
            place="县政务服务大厅 不动产登记窗口（8号）",
            visited_at=visited_at,
            incognito=True,
            answers={
                "wait_minutes": "45",
                "trips": "2",
                "attitude": "3",
                "promise_kept": "no",
                "improper_request": "no",
                "fees_posted": "yes",
            },
            notes=NOTES,
            findings=FINDING,
            photos=[services.PhotoInput("大厅排队.jpg", _photo())],
        ),
        member,
    )
    db.session.flush()
    return [f"visit to {unit.code}"]


@click.command("demo-visits")
@with_appcontext
def demo_visits_command() -> None:
    """Demo 暗访 visit with its checklist and a finding made an item (after demo-program)."""
    added = seed_demo_visit()
    db.session.commit()
    click.echo("demo visits: " + (", ".join(added) if added else "nothing to add"))
