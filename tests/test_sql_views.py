"""docs/sql/: a CRM sync's tables presented as our schema through views, read by the loaders and `kpis`.

Runs on PostgreSQL and MariaDB (skipped, saying why, when the server is unreachable). The sync
rows below are small enough to work the November 2026 figures out by hand (Helsinki time,
UTC+2 in November; working hours 08:00-16:00, Monday to Friday; first-touch window 4 hours):

- contacts 101, 102, 103 are created in November, 104 in October: leads 3.
- MQL dates in November: 101 (Mon 2 Nov 12:00 local) and 102 (Tue 3 Nov 11:00): mqls 2; of
  the November leads 101 and 102 became MQLs: conv_lead_mql 2/3.
- 101 was accepted (SAL), 102 disqualified without SAL: sals 1, acceptance 1/2.
- 101 is an SQL on 5 Nov and an opportunity on 6 Nov; 104's SQL and first deal are in October.
- first touches: 101 after 1 working hour, 102 after 8 (Tue 11-16 and Wed 08-11): attainment 1/2.
- deals 501 (12,000) and 504 (8,000) won in November, 502 lost, 503 open:
  deals_won 2, deals_lost 1, revenue 20,000, win rate 2/3.
- contact 103 names user 99, whom the sync has not copied: one unknown owner for `check`.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from dashboard.metrics.kpis import compute_kpis
from dashboard.metrics.quality import quality_report
from queries.db import get_engine, init_db, schema_is_current, served_by_views
from queries.loaders import load_dataset, load_unresolved_references
from tests.agreements import frozen_agreement

SQL = Path(__file__).resolve().parent.parent / "docs" / "sql"

SYNC_ROWS = [
    "INSERT INTO crm_users (id, full_name, email, role, is_active) VALUES "
    "(1, 'Aino Virtanen', 'aino@example.com', 'AE', TRUE), (2, 'Mikko Laine', NULL, 'SDR', TRUE), "
    "(3, 'Sara Nieminen', NULL, 'Marketing', FALSE)",
    "INSERT INTO crm_campaigns (id, title, channel, starts_on, budget_spent, currency_code) VALUES "
    "(7, 'Autumn webinar', 'webinar', '2026-10-01', 1500.00, 'EUR')",
    "INSERT INTO crm_contacts (id, first_name, last_name, owner_user_id, campaign_id, lead_source, created_date, "
    "became_mql_date, became_sal_date, became_sql_date, became_opportunity_date, disqualified_date, "
    "disqualified_reason, first_touch_date) VALUES "
    "(101, 'Anna', 'Aalto', 2, 7, 'webinar', '2026-11-02 08:00:00', '2026-11-02 10:00:00', '2026-11-02 12:00:00', "
    " '2026-11-05 09:00:00', '2026-11-06 09:00:00', NULL, NULL, '2026-11-02 11:00:00'), "
    "(102, 'Ben', NULL, 2, NULL, 'paid_search', '2026-11-03 08:00:00', '2026-11-03 09:00:00', NULL, NULL, NULL, "
    " '2026-11-04 10:00:00', 'no budget', '2026-11-04 09:00:00'), "
    "(103, NULL, NULL, 99, NULL, 'organic_search', '2026-11-10 08:00:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
    "(104, 'Dan', 'Dahl', 1, 7, 'webinar', '2026-10-20 08:00:00', '2026-10-21 08:00:00', NULL, '2026-10-25 08:00:00', "
    " NULL, NULL, NULL, '2026-10-21 09:00:00')",
    "INSERT INTO crm_deals (id, contact_id, owner_user_id, deal_name, stage_label, amount, currency_code, "
    "created_date, close_date, closed_date, is_closed, is_won, lost_reason, probability_pct) VALUES "
    "(501, 101, 1, 'Acme', 'Closed won', 12000, 'EUR', '2026-11-06 09:00:00', '2026-11-20', '2026-11-20 10:00:00', "
    " TRUE, TRUE, NULL, 100), "
    "(502, 104, 1, 'Dahl pilot', 'Closed lost', 3000, 'EUR', '2026-10-26 09:00:00', '2026-11-12', "
    " '2026-11-12 10:00:00', TRUE, FALSE, 'price', 0), "
    "(503, 101, 1, 'Acme add-on', 'Proposal', 5000, 'EUR', '2026-11-07 09:00:00', '2026-12-15', NULL, "
    " FALSE, NULL, NULL, 40), "
    "(504, 104, 1, 'Dahl', 'Closed won', 8000, 'EUR', '2026-10-27 09:00:00', '2026-11-25', '2026-11-25 10:00:00', "
    " TRUE, TRUE, NULL, 100)",
    "INSERT INTO crm_engagements (id, contact_id, user_id, kind, body, occurred) VALUES "
    "(901, 101, 2, 'CALL', 'intro', '2026-11-02 11:00:00'), (902, 102, NULL, 'WEBINAR', NULL, '2026-11-01 10:00:00')",
]


def run_script(engine, path: Path) -> None:
    """Each statement of an .sql file (statements end with a semicolon at a line's end)."""
    script = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
    with engine.begin() as connection:
        for statement in script.split(";\n"):
            if statement.strip().rstrip(";"):
                connection.execute(text(statement.strip().rstrip(";")))


@pytest.mark.parametrize("db_url", ["postgresql", "mariadb"], indirect=True)
def test_views_over_a_crm_sync(db_url):
    engine = get_engine(db_url)
    dialect = "postgresql" if engine.dialect.name == "postgresql" else "mariadb"
    run_script(engine, SQL / dialect / "crm_sync_tables.sql")
    with engine.begin() as connection:
        if dialect == "postgresql":  # timestamptz literals without an offset: read them as UTC
            connection.execute(text("SET TIME ZONE 'UTC'"))
        for statement in SYNC_ROWS:
            connection.execute(text(statement))
    run_script(engine, SQL / dialect / "views.sql")

    assert served_by_views(engine) and schema_is_current(engine)
    assert init_db(db_url) is engine  # nothing migrated over the views

    agreement = frozen_agreement()
    as_of = pd.Timestamp("2026-11-30 12:00", tz="Europe/Helsinki").tz_convert("UTC")
    data = load_dataset(engine, as_of)
    assert sorted(data.leads["external_id"]) == ["101", "102", "103", "104"]
    assert data.owners.set_index("external_id")["team"].to_dict() == {"1": "sales", "2": "sdr", "3": "marketing"}

    november = compute_kpis(data, agreement, "month", dt.date(2026, 11, 1), dt.date(2026, 11, 30), as_of)[0]
    figures = {key: november[key] for key in (
        "leads", "mqls", "sals", "sqls", "opportunities", "deals_won", "deals_lost", "revenue_won",
        "conv_lead_mql", "acceptance_rate", "response_sla_attainment", "win_rate")}
    assert figures == {
        "leads": 3, "mqls": 2, "sals": 1, "sqls": 1, "opportunities": 1, "deals_won": 2, "deals_lost": 1,
        "revenue_won": 20000.0, "conv_lead_mql": pytest.approx(2 / 3), "acceptance_rate": 0.5,
        "response_sla_attainment": 0.5, "win_rate": pytest.approx(2 / 3),
    }

    findings = {f.rule: f for f in quality_report(data.leads, data.deals, data.owners,
                                                  load_unresolved_references(engine), agreement.currency,
                                                  agreement.exchange_rates)}
    assert (findings["unknown_owner"].count, findings["unknown_owner"].examples) == (
        1, ("leads/103: owner_id=99",))
