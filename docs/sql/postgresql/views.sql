-- The dashboard's schema as views over the example CRM sync (crm_sync_tables.sql), PostgreSQL.
-- Run in the database (or schema) the dashboard reads; docs/SQL-VIEWS.md explains each choice.
-- Timestamps become naive UTC, ids stay the CRM's numbers, external ids are their text.
CREATE VIEW owners AS
SELECT u.id,
       CAST(u.id AS TEXT) AS external_id,
       u.full_name AS name,
       u.email,
       CASE u.role WHEN 'Marketing' THEN 'marketing' WHEN 'SDR' THEN 'sdr'
                   WHEN 'AE' THEN 'sales' WHEN 'CSM' THEN 'cs' END AS team,
       u.is_active AS active
FROM crm_users u;

CREATE VIEW campaigns AS
SELECT c.id,
       CAST(c.id AS TEXT) AS external_id,
       c.title AS name,
       c.channel,
       c.starts_on AS started_on,
       c.ends_on AS ended_on,
       c.budget_spent AS cost,
       c.currency_code AS currency
FROM crm_campaigns c;

-- The example sync copies no ad-platform spend, so this view is empty and each campaign's cost
-- is its `cost` (SPEC "Closed loop"). A sync that copies spend per day or month selects it here.
CREATE VIEW campaign_costs AS
SELECT CAST(NULL AS INTEGER) AS id,
       CAST(NULL AS TEXT) AS external_id,
       CAST(NULL AS INTEGER) AS campaign_id,
       CAST(NULL AS DATE) AS period_start,
       CAST(NULL AS DATE) AS period_end,
       CAST(NULL AS NUMERIC(16, 2)) AS amount,
       CAST(NULL AS VARCHAR(3)) AS currency
WHERE FALSE;

CREATE VIEW contacts AS
SELECT c.id,
       CAST(c.id AS TEXT) AS external_id,
       c.email,
       NULLIF(TRIM(CONCAT_WS(' ', c.first_name, c.last_name)), '') AS name,
       c.company_name AS company,
       c.country_code AS country,
       c.segment,
       u.id AS owner_id,
       c.created_date AT TIME ZONE 'UTC' AS created_at,
       c.modified_date AT TIME ZONE 'UTC' AS updated_at
FROM crm_contacts c
LEFT JOIN crm_users u ON u.id = c.owner_user_id;

-- One lead per contact: the contact's journey through the funnel.
CREATE VIEW leads AS
SELECT c.id,
       CAST(c.id AS TEXT) AS external_id,
       c.id AS contact_id,
       c.created_date AT TIME ZONE 'UTC' AS created_at,
       c.lead_source AS source,
       k.id AS campaign_id,
       c.segment,
       u.id AS owner_id,
       c.became_mql_date AT TIME ZONE 'UTC' AS mql_at,
       CAST(NULL AS TIMESTAMP) AS assigned_at,
       c.became_sal_date AT TIME ZONE 'UTC' AS sal_at,
       c.became_sql_date AT TIME ZONE 'UTC' AS sql_at,
       c.became_opportunity_date AT TIME ZONE 'UTC' AS opportunity_at,
       c.disqualified_date AT TIME ZONE 'UTC' AS disqualified_at,
       c.disqualified_reason,
       CAST(NULL AS TIMESTAMP) AS recycled_at,
       CAST(NULL AS TEXT) AS recycled_reason,
       c.first_touch_date AT TIME ZONE 'UTC' AS first_touch_at,
       c.created_date AT TIME ZONE 'UTC' AS recorded_at,
       c.modified_date AT TIME ZONE 'UTC' AS updated_at
FROM crm_contacts c
LEFT JOIN crm_users u ON u.id = c.owner_user_id
LEFT JOIN crm_campaigns k ON k.id = c.campaign_id;

CREATE VIEW deals AS
SELECT d.id,
       CAST(d.id AS TEXT) AS external_id,
       c.id AS lead_id,
       c.id AS contact_id,
       u.id AS owner_id,
       d.deal_name AS name,
       d.pipeline,
       d.stage_label AS stage,
       d.amount,
       d.currency_code AS currency,
       d.created_date AT TIME ZONE 'UTC' AS created_at,
       d.close_date AS expected_close_on,
       CASE WHEN d.is_closed THEN COALESCE(d.closed_date AT TIME ZONE 'UTC', CAST(d.close_date AS TIMESTAMP)) END
           AS closed_at,
       CASE WHEN d.is_closed THEN d.is_won END AS is_won,   -- null while open
       d.lost_reason,
       d.probability_pct / 100 AS probability,
       d.created_date AT TIME ZONE 'UTC' AS recorded_at,
       d.modified_date AT TIME ZONE 'UTC' AS updated_at
FROM crm_deals d
LEFT JOIN crm_contacts c ON c.id = d.contact_id
LEFT JOIN crm_users u ON u.id = d.owner_user_id;

CREATE VIEW activities AS
SELECT e.id,
       CAST(e.id AS TEXT) AS external_id,
       c.id AS lead_id,
       c.id AS contact_id,
       u.id AS owner_id,
       CASE WHEN e.kind IN ('CALL', 'EMAIL', 'MEETING') THEN 'sales' ELSE 'marketing' END AS team,
       LOWER(e.kind) AS type,
       e.body AS detail,
       e.occurred AT TIME ZONE 'UTC' AS occurred_at,
       e.occurred AT TIME ZONE 'UTC' AS recorded_at
FROM crm_engagements e
LEFT JOIN crm_contacts c ON c.id = e.contact_id
LEFT JOIN crm_users u ON u.id = e.user_id;

-- A sync keeps only each record's current values, so everything it holds counts as known from
-- its own event time (SPEC "Recorded time": a history load) and there is no history of
-- changes. A sync that keeps when it first copied a record may select that as recorded_at.
CREATE VIEW record_changes AS
SELECT CAST(NULL AS INTEGER) AS id,
       CAST(NULL AS TEXT) AS table_name,
       CAST(NULL AS INTEGER) AS record_id,
       CAST(NULL AS TEXT) AS field,
       CAST(NULL AS TEXT) AS old_value,
       CAST(NULL AS TEXT) AS new_value,
       CAST(NULL AS TIMESTAMP) AS recorded_at
WHERE FALSE;

-- References the sync holds but cannot follow (a user or contact it has not copied), for `check`.
CREATE VIEW unresolved_references AS
SELECT c.id, 'leads' AS table_name, c.id AS record_id, 'owner_id' AS field, 'owners' AS target_table,
       CAST(c.owner_user_id AS TEXT) AS target_external_id
FROM crm_contacts c
WHERE c.owner_user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm_users u WHERE u.id = c.owner_user_id)
UNION ALL
SELECT d.id, 'deals', d.id, 'lead_id', 'leads', CAST(d.contact_id AS TEXT)
FROM crm_deals d
WHERE d.contact_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm_contacts c WHERE c.id = d.contact_id)
UNION ALL
SELECT d.id, 'deals', d.id, 'owner_id', 'owners', CAST(d.owner_user_id AS TEXT)
FROM crm_deals d
WHERE d.owner_user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM crm_users u WHERE u.id = d.owner_user_id);
