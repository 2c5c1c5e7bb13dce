"""alert_deliveries and alert_pauses: each alert told once, and who paused theirs

The alerts (dashboard/alerts/, docs/ALERTS.md) record every event told to every destination
under a unique key, in the transaction that sends it, so two `notify` runs or a restart
never tell it twice; and the people who paused their own alerts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

import queries.schema

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_key', sa.String(length=191), nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('event_key', sa.String(length=191), nullable=False),
    sa.Column('destination', sa.String(length=191), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('grouped', sa.Integer(), nullable=False),
    sa.Column('created_at', queries.schema.UTCDateTime(), nullable=False),
    sa.Column('sent_at', queries.schema.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_deliveries')),
    sa.UniqueConstraint('delivery_key', name=op.f('uq_alert_deliveries_delivery_key'))
    )
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_deliveries_rule_id'), ['rule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_deliveries_event_key'), ['event_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_deliveries_created_at'), ['created_at'], unique=False)
    op.create_table('alert_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=191), nullable=False),
    sa.Column('paused_by', sa.String(length=100), nullable=True),
    sa.Column('paused_at', queries.schema.UTCDateTime(), nullable=False),
    sa.Column('until', queries.schema.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_pauses')),
    sa.UniqueConstraint('address', name=op.f('uq_alert_pauses_address'))
    )


def downgrade() -> None:
    op.drop_table('alert_pauses')
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_deliveries_created_at'))
        batch_op.drop_index(batch_op.f('ix_alert_deliveries_event_key'))
        batch_op.drop_index(batch_op.f('ix_alert_deliveries_rule_id'))
    op.drop_table('alert_deliveries')
