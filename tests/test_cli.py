"""`flask --app wsgi intake ...` commands, run through Flask's CLI runner against the test app."""

import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from intake.auth.models import Role, User
from intake.extensions import db
from intake.program.models import CycleUnit
from intake.reference.models import Category, Unit
from tests.conftest import PASSWORD, AuthActions, make_user


def user(app, username):
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def test_create_user_with_every_option(app, runner):
    result = runner.invoke(
        args=[
            "intake",
            "create-user",
            "liuyang",
            "--role",
            "staff",
            "--password",
            "a-long-password",
            "--name",
            "刘洋",
            "--email",
            "liuyang@zxzx.gov.cn",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "created staff liuyang" in result.output
    created = user(app, "liuyang")
    assert (created.role, created.display_name, created.email, created.unit_id) == (
        Role.staff,
        "刘洋",
        "liuyang@zxzx.gov.cn",
        None,
    )
    assert created.password_hash.startswith("$argon2id$")
    PasswordHasher().verify(created.password_hash, "a-long-password")


def test_create_user_reads_the_password_from_stdin_or_makes_one_up(app, runner):
    # Neither in `ps` nor in the shell history: piped in, or made up and printed once.
    result = runner.invoke(
        args=["intake", "create-user", "admin2", "--role", "admin", "--password-stdin"], input="a-long-password\n"
    )
    assert result.exit_code == 0, result.output
    assert "a-long-password" not in result.output
    assert user(app, "admin2").role is Role.admin
    PasswordHasher().verify(user(app, "admin2").password_hash, "a-long-password")
    result = runner.invoke(args=["intake", "create-user", "weiyuan3", "--role", "member"])
    assert result.exit_code == 0, result.output
    generated = re.search(r"temporary password: (\S+)", result.output).group(1)
    PasswordHasher().verify(user(app, "weiyuan3").password_hash, generated)
    assert user(app, "weiyuan3").must_change_password


def test_create_liaison_needs_an_existing_unit(app, runner, ref):
    ok = runner.invoke(
        args=[
            "intake",
            "create-user",
            "lianluo",
            "--role",
            "liaison",
            "--unit",
            "zwfw",
            "--password",
            "a-long-password",
        ]
    )
    assert ok.exit_code == 0, ok.output
    assert user(app, "lianluo").unit_id == ref.unit["zwfw"]

    bad = runner.invoke(
        args=[
            "intake",
            "create-user",
            "lianluo2",
            "--role",
            "liaison",
            "--unit",
            "nope",
            "--password",
            "a-long-password",
        ]
    )
    assert bad.exit_code != 0 and "no unit with code nope" in bad.output
    missing = runner.invoke(
        args=["intake", "create-user", "lianluo3", "--role", "liaison", "--password", "a-long-password"]
    )
    assert missing.exit_code != 0 and "needs a unit" in missing.output
    assert user(app, "lianluo2") is None and user(app, "lianluo3") is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["--password", "short"], "at least 8 characters"),
        (["--role", "god", "--password", "a-long-password"], "Invalid value for '--role'"),
    ],
)
def test_create_user_refuses_bad_input(app, runner, args, message):
    result = runner.invoke(args=["intake", "create-user", "someone", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert user(app, "someone") is None


def test_create_user_twice(app, runner):
    args = ["intake", "create-user", "twice", "--password", "a-long-password"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "exists" in again.output
    quiet = runner.invoke(args=[*args, "--if-missing"])
    assert quiet.exit_code == 0 and "exists" in quiet.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_seed_is_idempotent(app, runner):
    with app.app_context():
        db.session.execute(Category.__table__.delete().where(Category.parent_id.is_not(None)))
        db.session.execute(Category.__table__.delete())
        db.session.execute(CycleUnit.__table__.delete())  # the seed's manual listing, not sealed
        db.session.execute(Unit.__table__.delete())
        db.session.commit()

    first = runner.invoke(args=["intake", "seed", "--year", "2026"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        units = db.session.scalar(select(func.count(Unit.id)))
        categories = db.session.scalar(select(func.count(Category.id)))
    assert f"seeded {units} unit(s), {categories} categor(ies)" in first.output
    assert units == 31 and categories == 12

    second = runner.invoke(args=["intake", "seed", "--year", "2026"])
    assert second.exit_code == 0 and "seeded 0 unit(s), 0 categor(ies)" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Unit.id))) == units
        assert db.session.scalar(select(func.count(Category.id))) == categories


def test_seed_lists_the_demo_units_only_on_a_fresh_database(app, runner):
    from intake.program.models import CycleUnit, SupervisionCycle

    # The app fixture seeded a fresh database (2026's demo units listed). Seeding again for a new
    # year, as `make run` does on every start, lists nothing: a year's units come from its lottery.
    result = runner.invoke(args=["intake", "seed", "--year", "2027"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(SupervisionCycle).where(SupervisionCycle.year == 2027)) is None
        assert db.session.scalar(select(func.count()).select_from(CycleUnit)) == 2


NEW_PASSWORD = "a-new-and-longer-secret"


def test_set_password_from_stdin_ends_every_session(app, client, runner):
    make_user(app, "zhouli", "staff")
    auth = AuthActions(client)
    auth.login("zhouli")
    result = runner.invoke(args=["intake", "set-password", "ZhouLi", "--password-stdin"], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert client.get("/staff/").headers["Location"].startswith("/auth/login")
    assert auth.login("zhouli").status_code == 401
    assert auth.login("zhouli", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_set_password_refuses_short_passwords_and_unknown_users(app, runner):
    make_user(app, "zhouli", "staff")
    short = runner.invoke(args=["intake", "set-password", "zhouli", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 8" in short.output
    unknown = runner.invoke(args=["intake", "set-password", "nobody", "--password-stdin"], input=NEW_PASSWORD + "\n")
    assert unknown.exit_code != 0 and "no user nobody" in unknown.output
    assert user(app, "zhouli").check_password(PASSWORD)


def test_sign_out_everywhere_command(app, client, runner):
    make_user(app, "zhouli", "staff")
    auth = AuthActions(client)
    auth.login("zhouli")
    result = runner.invoke(args=["intake", "sign-out-everywhere", "zhouli"])
    assert result.exit_code == 0, result.output
    assert client.get("/staff/").headers["Location"].startswith("/auth/login")
    assert auth.login("zhouli").status_code == 302
