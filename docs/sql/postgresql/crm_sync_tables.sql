-- An example CRM sync schema (what a nightly sync job might keep in PostgreSQL).
-- Not part of the dashboard: docs/SQL-VIEWS.md shows the views that present it as our schema,
-- and tests/test_sql_views.py creates it to check them. Timestamps are timestamptz.
CREATE TABLE crm_users (
    id BIGINT PRIMARY KEY,
    full_name TEXT NOT NULL,
    email TEXT,
    role TEXT,                          -- Marketing, SDR, AE, CSM
    is_active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE crm_campaigns (
    id BIGINT PRIMARY KEY,
    title TEXT NOT NULL,
    channel TEXT,
    starts_on DATE,
    ends_on DATE,
    budget_spent NUMERIC(16, 2),
    currency_code CHAR(3)
);

CREATE TABLE crm_contacts (
    id BIGINT PRIMARY KEY,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    company_name TEXT,
    country_code TEXT,
    segment TEXT,
    owner_user_id BIGINT,               -- may name a user the sync has not copied
    campaign_id BIGINT,
    lead_source TEXT,
    lifecycle_stage TEXT,
    created_date TIMESTAMPTZ NOT NULL,
    became_mql_date TIMESTAMPTZ,
    became_sal_date TIMESTAMPTZ,
    became_sql_date TIMESTAMPTZ,
    became_opportunity_date TIMESTAMPTZ,
    disqualified_date TIMESTAMPTZ,
    disqualified_reason TEXT,
    first_touch_date TIMESTAMPTZ,
    modified_date TIMESTAMPTZ
);

CREATE TABLE crm_deals (
    id BIGINT PRIMARY KEY,
    contact_id BIGINT,
    owner_user_id BIGINT,
    deal_name TEXT,
    pipeline TEXT,
    stage_label TEXT,
    amount NUMERIC(16, 2),
    currency_code CHAR(3),
    created_date TIMESTAMPTZ NOT NULL,
    close_date DATE,                    -- expected while open, actual once closed
    closed_date TIMESTAMPTZ,
    is_closed BOOLEAN NOT NULL DEFAULT FALSE,
    is_won BOOLEAN,
    lost_reason TEXT,
    probability_pct NUMERIC(5, 2),      -- 0..100
    modified_date TIMESTAMPTZ
);

CREATE TABLE crm_engagements (
    id BIGINT PRIMARY KEY,
    contact_id BIGINT,
    user_id BIGINT,
    kind TEXT NOT NULL,                 -- CALL, EMAIL, MEETING (sales); WEBINAR, PAGE_VIEW, FORM (marketing)
    body TEXT,
    occurred TIMESTAMPTZ NOT NULL
);
