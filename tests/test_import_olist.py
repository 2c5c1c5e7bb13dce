"""Olist's public marketing-funnel files through the `olist` preset: counts and figures checked by hand.

The expected numbers were counted once from the two CSV files with Python's csv module alone
(no code of this project): 8,000 MQL rows and 842 closed-deal rows; 32 distinct sdr_id and 22
distinct sr_id, 13 ids in both (so 41 owners); 60 rows with an empty origin beside 1,099 with
the literal "unknown"; 797 deals with declared_monthly_revenue 0.0 and none empty; one deal
(mql_id b91cf8812365f50ff4bda4bcd6206b05) won on 2018-03-06 before its first contact on
2018-03-08; first_contact_date per month (2018-01: 1,141, 2018-04: 1,352) and won_date per
month (2018-01: 73, 2018-04: 207); declared revenue summed by won_date month (2018-09:
9,300,000; 2018-10: 50,874,000). With April 2018's origins: organic_search 349, empty 13.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from queries.db import init_db
from tests.test_import import count, dump, pending_references

# The public datasets sit beside the project (../shared/datasets); OLIST_DIR points elsewhere.
OLIST = Path(os.environ.get("OLIST_DIR") or Path(__file__).resolve().parents[2] / "shared" / "datasets"
             / "olist-marketing-funnel")
OLIST_SLA = Path(__file__).resolve().parent.parent / "data" / "olist-sla.yaml"

pytestmark = pytest.mark.skipif(
    not (OLIST / "olist_marketing_qualified_leads_dataset.csv").is_file(),
    reason=f"the Olist dataset is not at {OLIST}",
)


def invoke(*args: str):
    from app import cli

    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def olist_url(tmp_path_factory):
    """The Olist files loaded once, through the documented command, into a database of their own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('olist')}/olist.db"
    result = invoke("import", "--preset", "olist", str(OLIST), "--db", url, "--no-progress")
    assert "leads <- olist_marketing_qualified_leads_dataset.csv: 8,000 rows, 8,000 inserted" in result.output
    return url


def test_record_counts(olist_url):
    engine = init_db(olist_url)
    assert {table: count(engine, table) for table in ("owners", "campaigns", "contacts", "leads", "deals")} == {
        "owners": 41, "campaigns": 0, "contacts": 0, "leads": 8000, "deals": 842}
    assert pending_references(engine) == []


def test_quirks_are_in_the_quality_report_not_errors(olist_url):
    result = invoke("check", "--db", olist_url, "--sla", str(OLIST_SLA), "--format", "json")
    findings = {f["rule"]: f for f in json.loads(result.stdout)}
    assert findings["lead_without_source"]["count"] == 60
    assert findings["deal_closed_before_lead"]["count"] == 1
    assert findings["deal_closed_before_lead"]["examples"] == ["b91cf8812365f50ff4bda4bcd6206b05"]
    assert findings["deal_without_amount"]["count"] == 797
    assert findings["unknown_currency"]["count"] == 0  # BRL is the Olist agreement's currency
    assert findings["deal_without_lead"]["count"] == 0


def test_kpis_by_month(olist_url):
    result = invoke("kpis", "--db", olist_url, "--sla", str(OLIST_SLA), "--grain", "month",
                    "--start", "2018-01-01", "--end", "2018-10-31", "--as-of", "2018-12-31T12:00", "--format", "json")
    months = {row["period_start"]: row for row in json.loads(result.stdout)}
    assert (months["2018-01-01"]["mqls"], months["2018-01-01"]["deals_won"]) == (1141, 73)
    assert (months["2018-04-01"]["leads"], months["2018-04-01"]["mqls"], months["2018-04-01"]["deals_won"]) == (
        1352, 1352, 207)
    assert months["2018-04-01"]["revenue_won"] == 0
    assert (months["2018-09-01"]["revenue_won"], months["2018-10-01"]["revenue_won"]) == (9_300_000, 50_874_000)
    assert months["2018-04-01"]["commitments"]["mql_volume"]["target"] == 1000


def test_source_filter_keeps_empty_apart_from_unknown(olist_url):
    result = invoke("kpis", "--db", olist_url, "--sla", str(OLIST_SLA), "--grain", "month", "--source",
                    "organic_search", "--start", "2018-04-01", "--end", "2018-04-30", "--as-of", "2018-12-31T12:00",
                    "--format", "json")
    assert json.loads(result.stdout)[0]["leads"] == 349


def test_reimport_changes_nothing(olist_url):
    """Loading the folder again (here in the `import folder DIR --preset` form) updates, never duplicates."""
    engine = init_db(olist_url)
    before = dump(engine, without_write_times=True)
    result = invoke("import", "folder", str(OLIST), "--preset", "olist", "--db", olist_url, "--no-progress")
    assert "deals <- olist_closed_deals_dataset.csv: 842 rows, 0 inserted, 842 updated" in result.output
    assert dump(engine, without_write_times=True) == before


def test_a_single_file_is_refused_for_a_folder_preset(tmp_path):
    from app import cli

    result = CliRunner().invoke(cli, ["import", "--preset", "olist", str(OLIST / "olist_closed_deals_dataset.csv"),
                                      "--db", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2
    assert "reads a folder holding olist_closed_deals_dataset.csv, olist_marketing_qualified_leads_dataset.csv" in (
        result.output)
