"""The periodic runner (`intake periodic`): each task at its interval, one failing task does not
stop the others."""

import pytest

import intake.periodic
from intake.periodic import PERIODIC, Periodic


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_failing_task_is_logged_and_the_others_still_run(app, runner, monkeypatch):
    ran = []

    def broken():
        raise RuntimeError("the database went away")

    def working():
        ran.append("working")
        return 1

    monkeypatch.setattr(
        intake.periodic,
        "PERIODIC",
        (Periodic("broken", 30, broken, "fails"), Periodic("working", 30, working, "works")),
    )
    result = runner.invoke(args=["intake", "periodic", "--once"])
    assert result.exit_code == 0, result.output
    assert ran == ["working"] and "working: 1" in result.output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_unknown_task_is_refused_with_the_names_known(runner):
    result = runner.invoke(args=["intake", "periodic", "--only", "nope", "--once"])
    assert result.exit_code != 0
    assert all(task.name in result.output for task in PERIODIC)
