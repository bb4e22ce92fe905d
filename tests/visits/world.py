"""The world of the visit tests: the seed's 2026 year (县政务服务管理局 zwfw and 县工科局 gk
listed), a group for each, a member outside any group, and a visit as a phone sends it."""

import io
import uuid
from datetime import datetime, time, timedelta
from types import SimpleNamespace

import pytest
from PIL import Image
from sqlalchemy import select

from intake.auth.models import User
from intake.extensions import db
from intake.program import groups
from intake.program.models import CycleUnit
from intake.program.services import get_cycle
from intake.reference.models import Unit
from intake.timeutil import local_today
from tests.conftest import csrf_token_from, make_user

YEAR = 2026


def _ids(app) -> dict:
    with app.app_context():
        cycle = get_cycle(YEAR)
        units = {u.code: u.id for u in db.session.scalars(select(Unit).where(Unit.code.in_(["zwfw", "gk"])))}
        cus = {
            code: db.session.scalar(
                select(CycleUnit.id).where(CycleUnit.cycle_id == cycle.id, CycleUnit.unit_id == uid)
            )
            for code, uid in units.items()
        }
        return {"cycle": cycle.id, "units": units, "cus": cus}


@pytest.fixture
def world(app, users):
    """`member` in zwfw's group, `member_b` in gk's, `member_c` in none; `liaison` is zwfw's."""
    ids = _ids(app)
    people = dict(users, member_b=make_user(app, "member_b", "member"), member_c=make_user(app, "member_c", "member"))
    with app.app_context():
        member = db.session.get(User, people["member"])
        member.display_name, member.email = "张建华", "zhangjianhua@example.cn"  # to look for on the unit's pages
        groups.set_group(ids["cus"]["zwfw"], "政务服务局民主监督小组", people["member"], [])
        groups.set_group(ids["cus"]["gk"], "工科局民主监督小组", people["member_b"], [])
        db.session.commit()
        # A morning a few days back, in the county, as the phone's datetime-local field writes it.
        morning = datetime.combine(local_today() - timedelta(days=3), time(9, 30)).strftime("%Y-%m-%dT%H:%M")
    return SimpleNamespace(users=people, visited_at=morning, **ids)


def visit_form(world, unit: str = "zwfw", **changes) -> dict:
    data = {
        "uuid": str(uuid.uuid4()),
        "cycle_id": str(world.cycle),
        "unit_id": str(world.units[unit]),
        "place": "政务服务大厅12号窗口",
        "visited_at": world.visited_at,
        "incognito": "y",
        "answer-wait_minutes": "40",
        "answer-trips": "2",
        "answer-attitude": "3",
        "answer-promise_kept": "no",
        "answer-improper_request": "no",
        "answer-fees_posted": "yes",
        "notes": "排队的群众说上周已经来过一次。",
        "findings": "不动产登记窗口要求群众回去复印身份证，未落实“一次办好”。",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def gps_jpeg(width: int = 1200, height: int = 900) -> bytes:
    """A JPEG carrying EXIF with a GPS position and a camera model, as a phone writes it."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[0x0110] = "PhoneModel X"  # Model
    exif[0x8825] = {1: "N", 2: (27.0, 15.0, 30.0), 3: "E", 4: (104.0, 52.0, 10.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def send(client, data: dict, photos: list[bytes] = (), as_json: bool = True):
    """POST a visit as the outbox does: a fresh token from /member/visits/session first."""
    token = client.get("/member/visits/session").get_json()["csrf_token"]
    form = dict(data)
    form["photos"] = [(io.BytesIO(p), f"IMG_{n}.jpg") for n, p in enumerate(photos)]
    headers = {"X-CSRFToken": token}
    if as_json:
        headers["Accept"] = "application/json"
    return client.post("/member/visits/new", data=form, headers=headers, content_type="multipart/form-data")


def form_token(client) -> str:
    return csrf_token_from(client.get("/member/visits/new").get_data(as_text=True))
