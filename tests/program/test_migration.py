"""Migration 0009 moves each unit's (is_supervised, supervised_year) pair into that year's cycle,
on both databases, and back again on downgrade."""

import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from intake import create_app
from intake.extensions import db
from tests import servers

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "migrations")


@pytest.fixture
def fresh_url(backend, postgres_admin_url, tmp_path):
    with servers.fresh_database(backend, postgres_admin_url, tmp_path, "intake_mig0009") as url:
        yield url


def _insert_unit(code: str, supervised: bool, year: int | None) -> None:
    db.session.execute(
        text(
            "INSERT INTO units (code, name, aliases, is_supervised, supervised_year, is_active, sort_order, created_at) "
            "VALUES (:code, :name, '', :sup, :year, :yes, 0, :created)"
        ),
        {
            "code": code,
            "name": "县" + code,
            "sup": supervised,
            "year": year,
            "yes": True,
            "created": "2025-03-01 08:00:00",
        },
    )


def test_supervised_pairs_become_cycles_and_come_back(fresh_url, tmp_path):
    app = create_app("test", SQLALCHEMY_DATABASE_URI=fresh_url, UPLOAD_DIR=str(tmp_path / "up"))
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0008")
        _insert_unit("a", True, 2024)
        _insert_unit("b", True, 2026)
        _insert_unit("c", True, 2026)
        _insert_unit("d", False, None)
        _insert_unit("e", True, None)  # no year: the year the unit was created in
        db.session.commit()

        upgrade(directory=MIGRATIONS, revision="0009")
        rows = db.session.execute(
            text(
                "SELECT c.year, u.code, cu.selection FROM cycle_units cu JOIN supervision_cycles c ON c.id = cu.cycle_id "
                "JOIN units u ON u.id = cu.unit_id ORDER BY c.year, u.code"
            )
        ).all()
        assert [tuple(r) for r in rows] == [
            (2024, "a", "manual"),
            (2025, "e", "manual"),
            (2026, "b", "manual"),
            (2026, "c", "manual"),
        ]
        stages = db.session.execute(text("SELECT COUNT(*) FROM cycle_stages")).scalar()
        assert stages == 3 * 8
        columns = {c["name"] for c in db.inspect(db.engine).get_columns("units")}
        assert "is_supervised" not in columns and "supervised_year" not in columns
        assert "lottery_eligible" in columns
        assert (
            db.session.execute(text("SELECT COUNT(*) FROM units WHERE lottery_eligible = :yes"), {"yes": True}).scalar()
            == 5
        )
        db.session.commit()

        downgrade(directory=MIGRATIONS, revision="0008")
        back = db.session.execute(text("SELECT code, is_supervised, supervised_year FROM units ORDER BY code")).all()
        assert [tuple(r) for r in back] == [
            ("a", True, 2024),
            ("b", True, 2026),
            ("c", True, 2026),
            ("d", False, None),
            ("e", True, 2025),
        ]
        db.session.commit()
        db.engine.dispose()
