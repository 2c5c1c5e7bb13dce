"""activities.updated_at: every row the dashboard keeps in memory carries its write time

Leads and deals had `updated_at` from the start; activities get it here (indexed), filled
with `occurred_at` for the rows already there, so that a refresh can load only what
changed since the previous one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

import queries.schema

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', queries.schema.UTCDateTime(), nullable=True))
    op.execute("UPDATE activities SET updated_at = occurred_at")
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activities_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activities_updated_at'))
        batch_op.drop_column('updated_at')
