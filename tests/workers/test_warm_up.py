"""A long-running worker pays before its first job what the first jobs would pay (issue 19): the
suggestions' hash functions and evidence, and the trained model. A model file that cannot be read
does not keep the worker from starting: the jobs meet the same problem and report it."""

import logging

import pytest

from intake.triage import suggestions
from workers.worker import _warm_up


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_worker_makes_the_suggestions_ready_before_its_first_job(app, monkeypatch):
    suggestions._hash_functions.cache_clear()
    made = []
    monkeypatch.setattr(suggestions, "scorer", lambda real=suggestions.scorer: made.append(real()) or made[-1])
    _warm_up(app)
    assert suggestions._hash_functions.cache_info().currsize == 1
    assert made and made[0].category_words  # the evidence read from the seeded rules


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_model_file_that_cannot_be_read_does_not_stop_the_worker(app, tmp_path, caplog):
    broken = tmp_path / "model.joblib"
    broken.write_bytes(b"this is not a model")
    app.config["CLASSIFIER_PATH"] = str(broken)
    with caplog.at_level(logging.WARNING, logger="workers.worker"):
        _warm_up(app)
    assert "warming up the suggestions failed" in caplog.text
