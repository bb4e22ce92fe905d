"""The migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect

from intake.extensions import db


def test_migrated_schema_has_no_difference_from_the_models(app_ctx):
    # The session's databases were built by `flask db upgrade` (conftest: *_database_url).
    with db.engine.connect() as conn:
        from intake.triage.search import include_object  # dialect-specific search tables

        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True, "include_object": include_object}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migrated_schema_is_at_head(app_ctx):
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate  # noqa: F401 - the extension holds the config

    config = app_ctx.extensions["migrate"].migrate.get_config(directory="migrations")
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    assert current == heads and heads


def test_check_constraints_exist_in_the_database(app_ctx):
    # compare_metadata does not look at CHECK constraints; the lifecycle and roles rely on them.
    wanted = {
        table.name: {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        for table in db.metadata.sorted_tables
    }
    inspector = inspect(db.engine)
    for table, names in wanted.items():
        found = {c["name"] for c in inspector.get_check_constraints(table)}
        assert {str(n) for n in names} <= found, table
