"""`flask --app wsgi intake classifier train|evaluate|calibrate|crossval`: the learned model of triage suggestions,
trained on what staff confirmed (and the shipped labelled set), saved at CLASSIFIER_PATH."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from intake.triage import suggestions, training
from intake.triage.suggest import classifier

classifier_cli = AppGroup("classifier", help="Train and evaluate the triage classifier.")


def _examples(shipped: bool, data: str | None) -> list:
    examples = training.training_examples(include_shipped=shipped, shipped_path=data)
    if not examples:
        raise click.ClickException("no confirmed items and no labelled set: nothing to learn from")
    return examples


def _set_judge(model_option: str, never_seen: set[str] = frozenset()):
    """The product's suggestion (evidence from the database, calibration, the model) as a
    function of a report's text, for `evaluate --set` and `calibrate`. With `never_seen`, a
    model trained without those texts, so that they are judged as new reports would be."""
    scorer = suggestions.scorer()
    model = None
    if model_option == "saved" and not never_seen:
        model = suggestions.load_model()
    if model_option != "none" and model is None:
        model = classifier.train([e for e in _examples(True, None) if e.text not in never_seen], scorer.category_words)
    return scorer, (lambda text: suggestions.judge(scorer, model, "", text))


_MODEL_OPTION = click.option(
    "--model",
    "model_option",
    type=click.Choice(["saved", "train", "none"]),
    default="saved",
    show_default=True,
    help="The model at CLASSIFIER_PATH (trained on the labelled set when there is none), a fresh one, or none.",
)


def evaluate_set_command(path: str, model_option: str, other_script: bool = False) -> None:
    from intake.triage.suggest import evaluation

    try:
        rows = evaluation.load_set(path)
    except (ValueError, KeyError) as e:
        raise click.ClickException(str(e)) from e
    scorer, judge_text = _set_judge(model_option)
    result = evaluation.evaluate_set(rows, judge_text, scorer.calibration.auto_apply)
    calibration = scorer.calibration
    click.echo(
        f"{len(rows)} reports from {path}; model: {model_option}; calibration: {calibration.fitted_on or 'none'}; "
        f"abstain below {calibration.abstain:.2f}; auto-apply unit ≥ {calibration.auto_apply['unit']:.2f}, "
        f"category ≥ {calibration.auto_apply['category']:.2f}\n"
    )
    click.echo("\n".join(evaluation.report_lines(result)))
    if other_script:
        swapped = evaluation.evaluate_set(evaluation.in_other_script(rows), judge_text, scorer.calibration.auto_apply)
        click.echo("\n".join(evaluation.script_swap_lines(result, swapped)))


@classifier_cli.command("train")
@click.option("--shipped/--no-shipped", default=True, help="Add the shipped labelled set to the confirmed items.")
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Another labelled JSON-lines file instead of the shipped one.",
)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Default: CLASSIFIER_PATH.")
def train(shipped: bool, data: str | None, out: str | None) -> None:
    """Train on staff-confirmed items (plus the labelled set) and save the model."""
    path = out or current_app.config["CLASSIFIER_PATH"]
    if not path:
        raise click.ClickException("CLASSIFIER_PATH is empty; pass --out")
    confirmed = len(training.confirmed_examples())
    examples = _examples(shipped, data)
    training.train_model(examples, path)
    click.echo(f"trained on {len(examples)} examples ({confirmed} confirmed by staff) -> {path}")


@classifier_cli.command("evaluate")
@click.option("--shipped/--no-shipped", default=True)
@click.option("--data", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--test-size", type=float, default=0.25, show_default=True)
@click.option("--seed", type=int, default=4, show_default=True)
@click.option(
    "--set",
    "path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A labelled set never seen in training: the product's suggestions on it, per script and difficulty.",
)
@click.option(
    "--other-script",
    is_flag=True,
    help="With --set: judge every report again converted to the other Chinese script (a script's own effect).",
)
@_MODEL_OPTION
def evaluate(
    shipped: bool,
    data: str | None,
    test_size: float,
    seed: int,
    path: str | None,
    other_script: bool,
    model_option: str,
) -> None:
    """Accuracy and macro-F1 on a held-out stratified split, overall and per class; with --set,
    the suggestions as staff would get them on that set."""
    if path:
        evaluate_set_command(path, model_option, other_script)
        return
    if other_script:
        raise click.UsageError("--other-script needs --set FILE")
    examples = _examples(shipped, data)
    result = classifier.evaluate(examples, test_size=test_size, seed=seed)
    click.echo(f"{len(examples)} examples; held-out split test_size={test_size} seed={seed}")
    for head, e in result.heads.items():
        click.echo(
            f"\n{head}: train {e.n_train}, test {e.n_test}; accuracy {e.accuracy:.3f}, "
            f"macro-F1 {e.macro_f1:.3f} (majority baseline: accuracy {e.baseline_accuracy:.3f}, "
            f"macro-F1 {e.baseline_macro_f1:.3f})"
        )
        click.echo(f"  {'class':<10} precision recall  F1     support")
        for label, s in e.per_class.items():
            click.echo(f"  {str(label):<10} {s.precision:9.3f} {s.recall:6.3f} {s.f1:6.3f} {s.support:7d}")


@classifier_cli.command("crossval")
def crossval() -> None:
    """Leave-one-writer-out: the category (and unit) suggestion on each writer's labelled reports
    by a model trained on the other writers', with the database's rules; full, model alone and
    evidence alone."""
    from intake.triage.suggest import crossval as validation

    click.echo("\n".join(validation.report_lines(validation.crossval(suggestions.scorer()))))


@classifier_cli.command("calibrate")
@click.option("--set", "path", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Default: the shipped calibration.json.")
@click.option("--method", type=click.Choice(["platt", "isotonic"]), default="platt", show_default=True)
@click.option(
    "--check-set",
    "check_paths",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="More labelled reports the auto-apply thresholds must also hold on (the curve is fitted on --set "
    "only); the model is then trained without them.",
)
@click.option(
    "--head",
    "heads",
    multiple=True,
    type=click.Choice(["unit", "category"]),
    help="Refit only this field (repeatable; default both); the other keeps its curve and threshold "
    "from the calibration at --out (or the shipped one).",
)
@_MODEL_OPTION
def calibrate(
    path: str, out: str | None, method: str, check_paths: tuple[str, ...], heads: tuple[str, ...], model_option: str
) -> None:
    """Fit the calibration (Platt or isotonic over the combined score) and the auto-apply thresholds
    (precision ≥ 0.97) on a held-out labelled set. Never on the set you evaluate on."""
    from intake.triage.suggest import calibration, evaluation

    try:
        rows = evaluation.load_set(path)
        check_rows = [row for p in check_paths for row in evaluation.load_set(p)]
    except (ValueError, KeyError) as e:
        raise click.ClickException(str(e)) from e
    scorer, judge_text = _set_judge(model_option, {row["text"] for row in check_rows})
    scorer.calibration = calibration.Calibration(abstain=0.0)  # raw scores, nothing withheld
    fitted = calibration.fit_set(rows, judge_text, fitted_on=path, method=method, check_rows=check_rows)
    if heads:
        target = out or calibration.SHIPPED
        previous = calibration.Calibration.load(target) if Path(target).exists() else calibration.Calibration()
        fitted = calibration.refit_heads(fitted, previous, heads)
    fitted.save(out or calibration.SHIPPED)
    click.echo(
        f"calibrated on {len(rows)} reports: abstain below {fitted.abstain:.2f}; auto-apply unit ≥ "
        f"{fitted.auto_apply['unit']:.2f}, category ≥ {fitted.auto_apply['category']:.2f} -> {out or calibration.SHIPPED}"
    )
