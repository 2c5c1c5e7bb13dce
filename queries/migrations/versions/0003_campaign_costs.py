"""campaign_costs: what each campaign spent per day or month, from the ad platforms' exports

SPEC's data model: one row per campaign and period (period_start..period_end, dates), with
the amount and currency, and the external id that keeps the import idempotent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

import queries.schema

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaign_costs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('external_id', queries.schema.EXTERNAL_ID, nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_campaign_costs_campaign_id_campaigns'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_costs')),
        sa.UniqueConstraint('external_id', name=op.f('uq_campaign_costs_external_id')),
    )
    with op.batch_alter_table('campaign_costs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_costs_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_costs_period_start'), ['period_start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('campaign_costs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_costs_period_start'))
        batch_op.drop_index(batch_op.f('ix_campaign_costs_campaign_id'))
    op.drop_table('campaign_costs')
