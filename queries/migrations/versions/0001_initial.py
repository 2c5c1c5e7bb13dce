"""the data model of SPEC

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

import queries.schema

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', queries.schema.EXTERNAL_ID, nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('channel', sa.String(length=100), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('cost', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('external_id', name=op.f('uq_campaigns_external_id'))
    )
    op.create_table('owners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', queries.schema.EXTERNAL_ID, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('team', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owners')),
    sa.UniqueConstraint('external_id', name=op.f('uq_owners_external_id'))
    )
    op.create_table('unresolved_references',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_name', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('target_table', sa.String(length=20), nullable=False),
    sa.Column('target_external_id', queries.schema.EXTERNAL_ID, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unresolved_references')),
    sa.UniqueConstraint('table_name', 'record_id', 'field', name=op.f('uq_unresolved_references_table_name_record_id_field'))
    )
    with op.batch_alter_table('unresolved_references', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unresolved_references_target_table'), ['target_table'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', queries.schema.EXTERNAL_ID, nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('company', sa.String(length=200), nullable=True),
    sa.Column('country', sa.String(length=100), nullable=True),
    sa.Column('segment', sa.String(length=100), nullable=True),
    sa.Column('created_at', queries.schema.UTCDateTime(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', queries.schema.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_contacts_owner_id_owners'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('external_id', name=op.f('uq_contacts_external_id'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_updated_at'), ['updated_at'], unique=False)

    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', queries.schema.EXTERNAL_ID, nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('created_at', queries.schema.UTCDateTime(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('segment', sa.String(length=100), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('mql_at', queries.schema.UTCDateTime(), nullable=True),
    sa.Column('assigned_at', queries.schema.UTCDateTime(), nullable=True),
    sa.Column('sal_at', queries.schema.UTCDateTime(), nullable=True),
    sa.Column('sql_at', queries.schema.UTCDateTime(), nullable=True),
    sa.Column('opportunity_at', queries.schema.UTCDateTime(), nullable=True),
    sa.Column('disqualified_at', queries.schema.UTCDateTime(), nullable=True),
    sa.Column('disqualified_reason', sa.String(length=200), nullable=True),
    sa.Column('recycled_at', queries.schema.UTCDateTime(), nullable=True),
    sa.Column('recycled_reason', sa.String(length=200), nullable=True),
    sa.Column('first_touch_at', queries.schema.UTCDateTime(), nullable=True),
    sa.Column('updated_at', queries.schema.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_leads_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_leads_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_leads_owner_id_owners'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('external_id', name=op.f('uq_leads_external_id'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leads_assigned_at'), ['assigned_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_disqualified_at'), ['disqualified_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_first_touch_at'), ['first_touch_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_mql_at'), ['mql_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_opportunity_at'), ['opportunity_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_recycled_at'), ['recycled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_sal_at'), ['sal_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_segment'), ['segment'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_source'), ['source'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_sql_at'), ['sql_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_updated_at'), ['updated_at'], unique=False)

    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', queries.schema.EXTERNAL_ID, nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('team', sa.String(length=20), nullable=False),
    sa.Column('type', sa.String(length=50), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('occurred_at', queries.schema.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_activities_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_activities_lead_id_leads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_activities_owner_id_owners'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities')),
    sa.UniqueConstraint('external_id', name=op.f('uq_activities_external_id'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activities_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index('ix_activities_lead_id_occurred_at', ['lead_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_owner_id'), ['owner_id'], unique=False)

    op.create_table('deals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', queries.schema.EXTERNAL_ID, nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('pipeline', sa.String(length=100), nullable=True),
    sa.Column('stage', sa.String(length=100), nullable=True),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('created_at', queries.schema.UTCDateTime(), nullable=False),
    sa.Column('expected_close_on', sa.Date(), nullable=True),
    sa.Column('closed_at', queries.schema.UTCDateTime(), nullable=True),
    sa.Column('is_won', sa.Boolean(), nullable=True),
    sa.Column('lost_reason', sa.String(length=200), nullable=True),
    sa.Column('probability', sa.Numeric(precision=5, scale=4), nullable=True),
    sa.Column('updated_at', queries.schema.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_deals_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_deals_lead_id_leads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['owners.id'], name=op.f('fk_deals_owner_id_owners'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deals')),
    sa.UniqueConstraint('external_id', name=op.f('uq_deals_external_id'))
    )
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deals_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_expected_close_on'), ['expected_close_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deals_updated_at'), ['updated_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deals_updated_at'))
        batch_op.drop_index(batch_op.f('ix_deals_owner_id'))
        batch_op.drop_index(batch_op.f('ix_deals_lead_id'))
        batch_op.drop_index(batch_op.f('ix_deals_expected_close_on'))
        batch_op.drop_index(batch_op.f('ix_deals_created_at'))
        batch_op.drop_index(batch_op.f('ix_deals_contact_id'))
        batch_op.drop_index(batch_op.f('ix_deals_closed_at'))

    op.drop_table('deals')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activities_owner_id'))
        batch_op.drop_index(batch_op.f('ix_activities_occurred_at'))
        batch_op.drop_index('ix_activities_lead_id_occurred_at')
        batch_op.drop_index(batch_op.f('ix_activities_lead_id'))
        batch_op.drop_index(batch_op.f('ix_activities_contact_id'))

    op.drop_table('activities')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_updated_at'))
        batch_op.drop_index(batch_op.f('ix_leads_sql_at'))
        batch_op.drop_index(batch_op.f('ix_leads_source'))
        batch_op.drop_index(batch_op.f('ix_leads_segment'))
        batch_op.drop_index(batch_op.f('ix_leads_sal_at'))
        batch_op.drop_index(batch_op.f('ix_leads_recycled_at'))
        batch_op.drop_index(batch_op.f('ix_leads_owner_id'))
        batch_op.drop_index(batch_op.f('ix_leads_opportunity_at'))
        batch_op.drop_index(batch_op.f('ix_leads_mql_at'))
        batch_op.drop_index(batch_op.f('ix_leads_first_touch_at'))
        batch_op.drop_index(batch_op.f('ix_leads_disqualified_at'))
        batch_op.drop_index(batch_op.f('ix_leads_created_at'))
        batch_op.drop_index(batch_op.f('ix_leads_contact_id'))
        batch_op.drop_index(batch_op.f('ix_leads_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_leads_assigned_at'))

    op.drop_table('leads')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_updated_at'))
        batch_op.drop_index(batch_op.f('ix_contacts_owner_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_created_at'))

    op.drop_table('contacts')
    with op.batch_alter_table('unresolved_references', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unresolved_references_target_table'))

    op.drop_table('unresolved_references')
    op.drop_table('owners')
    op.drop_table('campaigns')

