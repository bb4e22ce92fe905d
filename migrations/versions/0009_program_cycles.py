"""the annual supervision program: cycles (监督年度), their stages, drawn units and the lottery
(抽签) record, sealed by triggers; units get `lottery_eligible`, and each unit's
(is_supervised, supervised_year) pair moves into that year's cycle before the columns go.

The triggers (named sealed_*) refuse UPDATE and DELETE of lottery commitments, draws and the
units a draw selected, a commitment after the draw, and a draw of any commitment but the latest.
On SQLite a batch ALTER of these tables recreates them without their triggers: a later
migration that alters one must create its triggers again (SQLITE_TRIGGERS below).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 22:00:00

"""
from contextlib import contextmanager
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

STAGES = ['mobilisation', 'lottery', 'plan', 'self_inspection', 'inspection', 'evaluation',
          'notification', 'follow_up']


def _refuse(message: str) -> str:
    return f"SELECT RAISE(ABORT, '{message}');"


SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER sealed_lottery_commitments_update BEFORE UPDATE ON lottery_commitments
        BEGIN {_refuse('sealed: a lottery commitment cannot be changed')} END""",
    f"""CREATE TRIGGER sealed_lottery_commitments_delete BEFORE DELETE ON lottery_commitments
        BEGIN {_refuse('sealed: a lottery commitment cannot be deleted')} END""",
    f"""CREATE TRIGGER sealed_lottery_commitments_after_draw BEFORE INSERT ON lottery_commitments
        WHEN EXISTS (SELECT 1 FROM lottery_draws WHERE cycle_id = NEW.cycle_id)
        BEGIN {_refuse('sealed: the lottery of this cycle has been drawn')} END""",
    f"""CREATE TRIGGER sealed_lottery_draws_update BEFORE UPDATE ON lottery_draws
        BEGIN {_refuse('sealed: a lottery draw cannot be changed')} END""",
    f"""CREATE TRIGGER sealed_lottery_draws_delete BEFORE DELETE ON lottery_draws
        BEGIN {_refuse('sealed: a lottery draw cannot be deleted')} END""",
    f"""CREATE TRIGGER sealed_lottery_draws_latest BEFORE INSERT ON lottery_draws
        WHEN NEW.commitment_id IS NOT (SELECT id FROM lottery_commitments WHERE cycle_id = NEW.cycle_id
                                       ORDER BY sequence DESC LIMIT 1)
        BEGIN {_refuse('sealed: a draw uses the latest commitment of its cycle')} END""",
    f"""CREATE TRIGGER sealed_cycle_units_update BEFORE UPDATE ON cycle_units
        WHEN OLD.selection = 'lottery'
        BEGIN {_refuse('sealed: a unit drawn by lot cannot be changed')} END""",
    f"""CREATE TRIGGER sealed_cycle_units_delete BEFORE DELETE ON cycle_units
        WHEN OLD.selection = 'lottery'
        BEGIN {_refuse('sealed: a unit drawn by lot cannot be removed')} END""",
]

POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION sealed_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'sealed: % on % refused (the lottery record cannot change)', TG_OP, TG_TABLE_NAME;
       END $$""",
    """CREATE FUNCTION sealed_commitment_insert() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF EXISTS (SELECT 1 FROM lottery_draws WHERE cycle_id = NEW.cycle_id) THEN
           RAISE EXCEPTION 'sealed: the lottery of this cycle has been drawn';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE FUNCTION sealed_draw_insert() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.commitment_id IS DISTINCT FROM (SELECT id FROM lottery_commitments WHERE cycle_id = NEW.cycle_id
                                                 ORDER BY sequence DESC LIMIT 1) THEN
           RAISE EXCEPTION 'sealed: a draw uses the latest commitment of its cycle';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER sealed_lottery_commitments BEFORE UPDATE OR DELETE ON lottery_commitments
       FOR EACH ROW EXECUTE PROCEDURE sealed_refuse()""",
    """CREATE TRIGGER sealed_lottery_commitments_insert BEFORE INSERT ON lottery_commitments
       FOR EACH ROW EXECUTE PROCEDURE sealed_commitment_insert()""",
    """CREATE TRIGGER sealed_lottery_draws BEFORE UPDATE OR DELETE ON lottery_draws
       FOR EACH ROW EXECUTE PROCEDURE sealed_refuse()""",
    """CREATE TRIGGER sealed_lottery_draws_insert BEFORE INSERT ON lottery_draws
       FOR EACH ROW EXECUTE PROCEDURE sealed_draw_insert()""",
    """CREATE TRIGGER sealed_cycle_units BEFORE UPDATE OR DELETE ON cycle_units
       FOR EACH ROW WHEN (OLD.selection = 'lottery') EXECUTE PROCEDURE sealed_refuse()""",
]


@contextmanager
def _units_rebuilt():
    """Batch mode rebuilds `units` on SQLite (DROP TABLE, then rename the copy), which other
    tables reference: with foreign keys enforced the DROP fails on any database holding reports.
    SQLite only honours PRAGMA foreign_keys outside a transaction, so the work so far is
    committed first, and the references are checked once the table is back."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        yield
        return
    raw = bind.connection.driver_connection
    if raw.in_transaction:
        raw.commit()
    bind.exec_driver_sql('PRAGMA foreign_keys=OFF')
    try:
        yield
    finally:
        if raw.in_transaction:
            raw.commit()
        bind.exec_driver_sql('PRAGMA foreign_keys=ON')
    broken = bind.exec_driver_sql('PRAGMA foreign_key_check').all()
    if broken:
        raise RuntimeError(f'foreign keys broken by the rebuild of units: {broken[:5]}')


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade():
    op.create_table('supervision_cycles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('state', _enum('cycle_state', 'planning', 'running', 'closed'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_supervision_cycles_year_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_supervision_cycles_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_cycles')),
    sa.UniqueConstraint('year', name=op.f('uq_supervision_cycles_year'))
    )
    op.create_table('cycle_stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('kind', _enum('stage_kind', *STAGES), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('state', _enum('stage_state', 'pending', 'done'), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(state = 'done') = (done_at IS NOT NULL)", name=op.f('ck_cycle_stages_done_has_time')),
    sa.ForeignKeyConstraint(['cycle_id'], ['supervision_cycles.id'], name=op.f('fk_cycle_stages_cycle_id_supervision_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_stages')),
    sa.UniqueConstraint('cycle_id', 'kind', name='uq_cycle_stages_cycle_kind')
    )
    op.create_table('lottery_commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('draw_count', sa.Integer(), nullable=False),
    sa.Column('beacon_source', sa.Text(), nullable=False),
    sa.Column('beacon_format', sa.String(length=100), nullable=False),
    sa.Column('pool_json', sa.Text(), nullable=False),
    sa.Column('pool_sha256', sa.String(length=64), nullable=False),
    sa.Column('exclusions_json', sa.Text(), nullable=False),
    sa.Column('correction_reason', sa.Text(), nullable=True),
    sa.Column('committed_at', sa.DateTime(), nullable=False),
    sa.Column('committed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('draw_count >= 1', name=op.f('ck_lottery_commitments_count_positive')),
    sa.CheckConstraint('sequence = 1 OR correction_reason IS NOT NULL', name=op.f('ck_lottery_commitments_correction_has_reason')),
    sa.ForeignKeyConstraint(['committed_by_id'], ['users.id'], name=op.f('fk_lottery_commitments_committed_by_id_users')),
    sa.ForeignKeyConstraint(['cycle_id'], ['supervision_cycles.id'], name=op.f('fk_lottery_commitments_cycle_id_supervision_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lottery_commitments')),
    sa.UniqueConstraint('cycle_id', 'sequence', name='uq_lottery_commitments_cycle_sequence')
    )
    op.create_table('lottery_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('commitment_id', sa.Integer(), nullable=False),
    sa.Column('algorithm', sa.String(length=32), nullable=False),
    sa.Column('beacon', sa.Text(), nullable=False),
    sa.Column('beacon_as_entered', sa.Text(), nullable=False),
    sa.Column('scores_json', sa.Text(), nullable=False),
    sa.Column('selected_json', sa.Text(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['commitment_id'], ['lottery_commitments.id'], name=op.f('fk_lottery_draws_commitment_id_lottery_commitments')),
    sa.ForeignKeyConstraint(['cycle_id'], ['supervision_cycles.id'], name=op.f('fk_lottery_draws_cycle_id_supervision_cycles')),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_lottery_draws_drawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lottery_draws')),
    sa.UniqueConstraint('commitment_id', name=op.f('uq_lottery_draws_commitment_id')),
    sa.UniqueConstraint('cycle_id', name=op.f('uq_lottery_draws_cycle_id'))
    )
    op.create_table('cycle_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('selection', _enum('selection_method', 'lottery', 'manual'), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['supervision_cycles.id'], name=op.f('fk_cycle_units_cycle_id_supervision_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['draw_id'], ['lottery_draws.id'], name=op.f('fk_cycle_units_draw_id_lottery_draws')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cycle_units_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_units')),
    sa.UniqueConstraint('cycle_id', 'unit_id', name='uq_cycle_units_cycle_unit')
    )
    op.create_index(op.f('ix_cycle_units_unit_id'), 'cycle_units', ['unit_id'], unique=False)

    _move_supervised_pairs_into_cycles()
    with _units_rebuilt(), op.batch_alter_table('units') as batch_op:
        batch_op.add_column(sa.Column('lottery_eligible', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.drop_constraint(op.f('ck_units_supervised_year_range'), type_='check')
        batch_op.drop_column('supervised_year')
        batch_op.drop_column('is_supervised')

    bind = op.get_bind()
    for statement in (POSTGRESQL_TRIGGERS if bind.dialect.name == 'postgresql' else SQLITE_TRIGGERS):
        op.execute(statement)


def _move_supervised_pairs_into_cycles():
    """Each unit with is_supervised becomes a manually listed unit of its supervised_year's cycle
    (created, with its eight stages, when missing). A pair without a year goes to the year the
    unit was created in, which is what the seed wrote; units not supervised carry nothing over."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, supervised_year, created_at FROM units WHERE is_supervised = :yes ORDER BY id"
    ), {"yes": True}).all()
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # naive UTC, as the models store
    cycles = sa.table('supervision_cycles', sa.column('id'), sa.column('year'), sa.column('state'),
                      sa.column('created_at'))
    stages = sa.table('cycle_stages', sa.column('cycle_id'), sa.column('kind'), sa.column('position'),
                      sa.column('owner'), sa.column('state'))
    units = sa.table('cycle_units', sa.column('cycle_id'), sa.column('unit_id'), sa.column('selection'),
                     sa.column('created_at'))
    for unit_id, year, created_at in rows:
        if year is None:
            year = created_at.year if hasattr(created_at, 'year') else int(str(created_at)[:4])
        cycle_id = bind.execute(sa.text("SELECT id FROM supervision_cycles WHERE year = :y"), {"y": year}).scalar()
        if cycle_id is None:
            bind.execute(cycles.insert().values(year=year, state='running', created_at=now))
            cycle_id = bind.execute(sa.text("SELECT id FROM supervision_cycles WHERE year = :y"), {"y": year}).scalar()
            bind.execute(stages.insert(), [
                {"cycle_id": cycle_id, "kind": kind, "position": n, "owner": "", "state": "pending"}
                for n, kind in enumerate(STAGES, start=1)
            ])
        bind.execute(units.insert().values(cycle_id=cycle_id, unit_id=unit_id, selection='manual', created_at=now))


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        for table in ('lottery_commitments', 'lottery_draws', 'cycle_units'):
            op.execute(f"DROP TRIGGER IF EXISTS sealed_{table} ON {table}")
        op.execute("DROP TRIGGER IF EXISTS sealed_lottery_commitments_insert ON lottery_commitments")
        op.execute("DROP TRIGGER IF EXISTS sealed_lottery_draws_insert ON lottery_draws")
        op.execute("DROP FUNCTION IF EXISTS sealed_refuse()")
        op.execute("DROP FUNCTION IF EXISTS sealed_commitment_insert()")
        op.execute("DROP FUNCTION IF EXISTS sealed_draw_insert()")
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute("DROP TRIGGER IF EXISTS " + statement.split()[2])
    with _units_rebuilt(), op.batch_alter_table('units') as batch_op:
        batch_op.add_column(sa.Column('is_supervised', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('supervised_year', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            'supervised_year_range', 'supervised_year IS NULL OR supervised_year BETWEEN 2000 AND 2100')
    # A unit is supervised in the latest year any cycle lists it.
    op.execute("""UPDATE units SET is_supervised = true, supervised_year = (
                    SELECT MAX(c.year) FROM cycle_units cu JOIN supervision_cycles c ON c.id = cu.cycle_id
                    WHERE cu.unit_id = units.id)
                  WHERE id IN (SELECT unit_id FROM cycle_units)""")
    with _units_rebuilt(), op.batch_alter_table('units') as batch_op:
        batch_op.drop_column('lottery_eligible')
    op.drop_index(op.f('ix_cycle_units_unit_id'), table_name='cycle_units')
    op.drop_table('cycle_units')
    op.drop_table('lottery_draws')
    op.drop_table('lottery_commitments')
    op.drop_table('cycle_stages')
    op.drop_table('supervision_cycles')
