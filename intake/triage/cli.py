"""`flask --app wsgi intake classifier train|evaluate`: the learned model of triage suggestions,
trained on what staff confirmed (and the shipped labelled set), saved at CLASSIFIER_PATH."""

import click
from flask import current_app
from flask.cli import AppGroup

from intake.triage import suggestions
from intake.triage.suggest import classifier

classifier_cli = AppGroup("classifier", help="Train and evaluate the triage classifier.")


def _examples(shipped: bool, data: str | None) -> list:
    examples = suggestions.training_examples(include_shipped=shipped, shipped_path=data)
    if not examples:
        raise click.ClickException("no confirmed items and no labelled set: nothing to learn from")
    return examples


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
    confirmed = len(suggestions.confirmed_examples())
    examples = _examples(shipped, data)
    suggestions.train_model(examples, path)
    click.echo(f"trained on {len(examples)} examples ({confirmed} confirmed by staff) -> {path}")


@classifier_cli.command("evaluate")
@click.option("--shipped/--no-shipped", default=True)
@click.option("--data", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--test-size", type=float, default=0.25, show_default=True)
@click.option("--seed", type=int, default=4, show_default=True)
def evaluate(shipped: bool, data: str | None, test_size: float, seed: int) -> None:
    """Accuracy and macro-F1 on a held-out stratified split, overall and per class."""
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
