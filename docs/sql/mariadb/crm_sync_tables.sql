-- An example CRM sync schema (what a nightly sync job might keep in MariaDB).
-- Not part of the dashboard: docs/SQL-VIEWS.md shows the views that present it as our schema,
-- and tests/test_sql_views.py creates it to check them. Timestamps are DATETIME(6) in UTC.
CREATE TABLE crm_users (
    id BIGINT PRIMARY KEY,
    full_name VARCHAR(200) NOT NULL,
    email VARCHAR(200),
    role VARCHAR(20),                          -- Marketing, SDR, AE, CSM
    is_active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE crm_campaigns (
    id BIGINT PRIMARY KEY,
    title VARCHAR(300) NOT NULL,
    channel VARCHAR(200),
    starts_on DATE,
    ends_on DATE,
    budget_spent NUMERIC(16, 2),
    currency_code CHAR(3)
);

CREATE TABLE crm_contacts (
    id BIGINT PRIMARY KEY,
    email VARCHAR(200),
    first_name VARCHAR(200),
    last_name VARCHAR(200),
    company_name VARCHAR(200),
    country_code VARCHAR(200),
    segment VARCHAR(200),
    owner_user_id BIGINT,               -- may name a user the sync has not copied
    campaign_id BIGINT,
    lead_source VARCHAR(200),
    lifecycle_stage VARCHAR(200),
    created_date DATETIME(6) NOT NULL,
    became_mql_date DATETIME(6),
    became_sal_date DATETIME(6),
    became_sql_date DATETIME(6),
    became_opportunity_date DATETIME(6),
    disqualified_date DATETIME(6),
    disqualified_reason VARCHAR(200),
    first_touch_date DATETIME(6),
    modified_date DATETIME(6)
);

CREATE TABLE crm_deals (
    id BIGINT PRIMARY KEY,
    contact_id BIGINT,
    owner_user_id BIGINT,
    deal_name VARCHAR(200),
    pipeline VARCHAR(200),
    stage_label VARCHAR(200),
    amount NUMERIC(16, 2),
    currency_code CHAR(3),
    created_date DATETIME(6) NOT NULL,
    close_date DATE,                    -- expected while open, actual once closed
    closed_date DATETIME(6),
    is_closed BOOLEAN NOT NULL DEFAULT FALSE,
    is_won BOOLEAN,
    lost_reason VARCHAR(200),
    probability_pct NUMERIC(5, 2),      -- 0..100
    modified_date DATETIME(6)
);

CREATE TABLE crm_engagements (
    id BIGINT PRIMARY KEY,
    contact_id BIGINT,
    user_id BIGINT,
    kind VARCHAR(20) NOT NULL,                 -- CALL, EMAIL, MEETING (sales); WEBINAR, PAGE_VIEW, FORM (marketing)
    body TEXT,
    occurred DATETIME(6) NOT NULL
);
