"""A long-running worker pays before its first job what the first jobs would pay (issue 19): the
suggestions' imports and caches, and the trained model. A model file that cannot be read does not
keep the worker from starting: the jobs meet the same problem and report it. It leaves no database
connection open for rq's forked scheduler to inherit."""

import logging

import pytest

from intake.extensions import db
from intake.triage import suggestions, training
from intake.triage.suggest import classifier
from tests.factories import create_item
from workers.worker import _warm_up


def test_the_worker_makes_the_suggestions_ready_before_its_first_job(app, monkeypatch):
    suggestions._hash_functions.cache_clear()
    made = []
    monkeypatch.setattr(suggestions, "scorer", lambda real=suggestions.scorer: made.append(real()) or made[-1])
    _warm_up(app)
    assert suggestions._hash_functions.cache_info().currsize == 1
    assert made and made[0].category_words.keys  # the evidence read from the seeded rules
    with app.app_context():
        assert db.engine.pool.checkedin() == 0  # nothing pooled for a forked child to share
        item = create_item(subject="社保窗口排队", body="县政务服务大厅社保窗口只开一个。")
        db.session.commit()  # and the first job connects anew
        assert suggestions.apply_suggestions(item.id) is not None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_trained_model_is_loaded_before_the_first_job(app, tmp_path):
    path = tmp_path / "model.joblib"
    classifier.train(classifier.load_jsonl(training.SHIPPED_SET)[:120]).save(str(path))
    app.config["CLASSIFIER_PATH"] = str(path)
    suggestions.forget_model(str(path))
    _warm_up(app)
    assert str(path) in suggestions._model_cache


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_model_file_that_cannot_be_read_does_not_stop_the_worker(app, tmp_path, caplog):
    broken = tmp_path / "model.joblib"
    broken.write_bytes(b"this is not a model")
    app.config["CLASSIFIER_PATH"] = str(broken)
    suggestions._hash_functions.cache_clear()
    with caplog.at_level(logging.WARNING, logger="workers.worker"):
        _warm_up(app)
    assert "warming up the suggestions failed" in caplog.text
    assert suggestions._hash_functions.cache_info().currsize == 1  # the other steps still ran
