"""Recorded time: when the database learned each lead, deal and activity, and the history of
the changes later imports make

`recorded_at` on leads, deals and activities, and the append-only `record_changes`. The rows
already there are history (SPEC "Recorded time"): each counts as known from its own event
time, so every figure as of a past instant stays what it was before this migration.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

import queries.schema

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

EVENT_TIME = {"leads": "created_at", "deals": "created_at", "activities": "occurred_at"}


def upgrade() -> None:
    for table, event_time in EVENT_TIME.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('recorded_at', queries.schema.UTCDateTime(), nullable=True))
        op.execute(f"UPDATE {table} SET recorded_at = {event_time}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_recorded_at'), ['recorded_at'], unique=False)
    op.create_table(
        'record_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('table_name', sa.String(length=20), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('old_value', sa.Text(), nullable=True),
        sa.Column('new_value', sa.Text(), nullable=True),
        sa.Column('recorded_at', queries.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_record_changes')),
    )
    with op.batch_alter_table('record_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_changes_recorded_at'), ['recorded_at'], unique=False)
        batch_op.create_index('ix_record_changes_table_name_record_id', ['table_name', 'record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('record_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_record_changes_table_name_record_id')
        batch_op.drop_index(batch_op.f('ix_record_changes_recorded_at'))
    op.drop_table('record_changes')
    for table in EVENT_TIME:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_recorded_at'))
            batch_op.drop_column('recorded_at')
