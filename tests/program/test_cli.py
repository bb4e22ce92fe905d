"""`flask --app wsgi intake program ...` through the app's CLI runner."""

from intake.extensions import db
from intake.program import lottery, services


def test_cycle_commit_and_draw_from_the_command_line(app, runner):
    r = runner.invoke(args=["intake", "program", "cycle", "create", "--year", "2027", "--starts-on", "2027-04-01"])
    assert r.exit_code == 0 and "2027" in r.output, r.output
    again = runner.invoke(args=["intake", "program", "cycle", "create", "--year", "2027"])
    assert again.exit_code != 0
    r = runner.invoke(
        args=[
            "intake",
            "program",
            "draw",
            "commit",
            "--year",
            "2027",
            "--count",
            "2",
            "--beacon-source",
            "福彩3D 第2027095期 开奖号码",
            "--beacon-format",
            "N N N",
            "--exclude",
            "zwfw:上年度已挂牌监督",
            "--exclude",
            "gk:上年度已挂牌监督",
        ]
    )
    assert r.exit_code == 0, r.output
    assert "pool_sha256" in r.output
    bad = runner.invoke(args=["intake", "program", "draw", "run", "--year", "2027", "--beacon", "37 2"])
    assert bad.exit_code != 0
    r = runner.invoke(args=["intake", "program", "draw", "run", "--year", "2027", "--beacon", "3　7　2"])
    assert r.exit_code == 0, r.output
    with app.app_context():
        cycle = services.get_cycle(2027)
        pool = [u["code"] for u in cycle.current_commitment.pool]
        assert "zwfw" not in pool and "gk" not in pool and "sw" not in pool
        expected = [row["code"] for row in lottery.rank("3 7 2", pool)[:2]]
        assert cycle.draw.selected == expected == ["zr", "cg"]  # the README's example
        assert sorted(u.code for u in services.supervised_units(2027)) == sorted(expected)
        db.session.commit()
    assert " ".join(expected) in r.output
    redraw = runner.invoke(args=["intake", "program", "draw", "run", "--year", "2027", "--beacon", "1 2 3"])
    assert redraw.exit_code != 0


def test_bad_arguments_are_refused_with_a_message(app, runner):
    r = runner.invoke(
        args=["intake", "program", "draw", "commit", "--year", "2031", "--count", "2", "--beacon-source", "x"]
    )
    assert r.exit_code != 0 and "Error" in r.output
    runner.invoke(args=["intake", "program", "cycle", "create", "--year", "2027"])
    r = runner.invoke(
        args=[
            "intake",
            "program",
            "draw",
            "commit",
            "--year",
            "2027",
            "--count",
            "2",
            "--beacon-source",
            "x",
            "--exclude",
            "nocolon",
        ]
    )
    assert r.exit_code != 0 and "CODE:REASON" in r.output
    r = runner.invoke(
        args=[
            "intake",
            "program",
            "draw",
            "commit",
            "--year",
            "2027",
            "--count",
            "2",
            "--beacon-source",
            "x",
            "--exclude",
            "sw:垂直管理",
        ]
    )
    assert r.exit_code != 0  # not in the pool to begin with
    with app.app_context():
        assert services.get_cycle(2027).commitments == []
