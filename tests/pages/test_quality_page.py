"""The data-quality page: the `check` report with links to the records behind each rule."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from dashboard.metrics.drilldown import (
    REFERENCE_RULES,
    example_links,
    quality_summary,
    rule_lead_ids,
    rule_records,
)
from dashboard.metrics.quality import quality_report
from tests.factories import deals, leads, owners
from tests.hostile_fixture import IMAGE
from tests.pages.tree import find, of_type, page, texts


@pytest.fixture
def report():
    """Three leads, two deals and two references, each breaking rules worked out by hand:
    lead 1 was accepted before it was an MQL; lead 2 has only an SQL date (MQL and SAL inferred)
    and a deal (opportunity inferred) with a negative amount; lead 3 is owned by an inactive
    owner and names a campaign nobody loaded; deal 2 has no lead; activity 7 names a lost lead."""
    lead_rows = leads(
        dict(id=1, created_at="2026-11-01 09:00", mql_at="2026-11-03 10:00", sal_at="2026-11-02 10:00",
             source="web"),
        dict(id=2, created_at="2026-11-01 09:00", sql_at="2026-11-05 10:00", source="web"),
        dict(id=3, created_at="2026-11-01 09:00", owner_id=9, source="web"),
    )
    deal_rows = deals(dict(id=1, lead_id=2, created_at="2026-11-06 10:00", amount=-500.0),
                      dict(id=2, lead_id=None, created_at="2026-11-06 10:00", amount=100.0))
    unresolved = pd.DataFrame([
        {"table_name": "leads", "record_id": 3, "field": "campaign_id", "target_table": "campaigns",
         "target_external_id": "C404"},
        {"table_name": "activities", "record_id": 7, "field": "lead_id", "target_table": "leads",
         "target_external_id": "L404"},
    ])
    findings = quality_report(lead_rows, deal_rows, owners(dict(id=9, name="Gone", team="sdr", active=False)),
                              unresolved, "EUR", {})
    return {f.rule: f for f in findings}, deal_rows, unresolved


def test_every_rule_of_the_report_is_known_to_the_drill_down(report):
    findings, _, _ = report
    references = {rule for rule, f in findings.items() if f.table == "references"}
    assert references == set(REFERENCE_RULES)


def test_the_records_behind_each_rule(report):
    findings, deal_rows, unresolved = report
    broken = {rule: f.count for rule, f in findings.items() if f.count}
    assert broken == {"out_of_order_sal": 1, "inferred_mql": 1, "inferred_sal": 1, "inferred_opportunity": 1,
                      "inactive_owner": 1, "negative_amount": 1, "deal_without_lead": 1, "unknown_campaign": 1,
                      "unknown_lead": 1}

    def records(rule):
        return list(rule_records(findings[rule], unresolved).itertuples(index=False, name=None))

    assert records("out_of_order_sal") == [("leads", 1)]
    assert records("inferred_mql") == records("inferred_sal") == [("leads", 2)]
    assert records("negative_amount") == [("deals", 1)]
    assert records("unknown_campaign") == [("leads", 3)]
    assert records("unknown_lead") == [("activities", 7)]
    assert records("duplicate_external_id_leads") == []

    def lead_ids(rule):
        return rule_lead_ids(rule_records(findings[rule], unresolved), deal_rows)

    assert lead_ids("negative_amount") == [2]  # the deal's lead
    assert lead_ids("deal_without_lead") == []  # no lead to show: the page lists the deal itself
    assert lead_ids("unknown_campaign") == [3]
    assert lead_ids("unknown_lead") == []


def test_examples_link_to_the_lead_that_shows_them(report):
    findings, deal_rows, unresolved = report

    def links(rule):
        return example_links(findings[rule], deal_rows, unresolved)

    assert links("out_of_order_sal") == [("L1", 1)]
    assert links("negative_amount") == [("D1", 2)]
    assert links("deal_without_lead") == [("D2", None)]
    assert links("unknown_campaign") == [("leads/3: campaign_id=C404", 3)]
    assert links("unknown_lead") == [("activities/7: lead_id=L404", None)]


def test_the_summary_counts_each_record_once(report):
    """9 findings on 6 records: leads 1, 2 (three rules) and 3 (two rules), deals 1 and 2,
    activity 7."""
    findings, _, unresolved = report
    assert quality_summary(list(findings.values()), unresolved) == {
        "rules": 29, "rules_with_findings": 9, "findings": 9, "records": 6,
    }


def test_the_page_is_the_check_report_with_links(demo_app, demo_settings):
    """Every rule's count is what `check` prints; examples link to their lead; deals without a
    lead are plain text with a link to the whole set; clean rules say so."""
    from app import cli
    from dashboard.data import dataset_for

    result = CliRunner().invoke(cli, ["check", "--db", demo_settings.database_url, "--format", "json"])
    assert result.exit_code == 0, result.output
    checked = {row["rule"]: row for row in json.loads(result.stdout)}
    quality_page = page("quality")
    with demo_app.server.test_request_context():
        body = quality_page.update_quality(None)
    deal_leads = dataset_for(demo_settings).deals.set_index("external_id")["lead_id"]
    for rule, row in checked.items():
        line = find(body, f"quality-{rule}")
        assert line is not None, rule
        cells = texts(line)
        if not row["count"]:
            assert line.className == "clean" and cells[-2:] == ["0", "✔ clean"], rule
            continue
        assert cells[:4] == [rule, row["table"], row["description"], f"{row['count']:,}"], rule
        links = {link.children: link.href for link in of_type(line, "Link")}
        assert links[rule] == f"/leads?rule={rule}"
        for example in row["examples"]:
            if row["table"] == "leads":
                assert links[example].startswith("/leads?lead="), (rule, example)
            elif row["table"] == "deals" and pd.notna(deal_leads[example]):
                assert links[example] == f"/leads?lead={int(deal_leads[example])}", (rule, example)
            else:
                assert example in cells and example not in links, (rule, example)
    with_findings = [row for row in checked.values() if row["count"]]
    summary = texts(find(body, quality_page.SUMMARY))[0]
    assert summary.startswith(f"{len(with_findings)} of {len(checked)} rules have findings: "
                              f"{sum(row['count'] for row in with_findings):,} findings on ")
    unlinked = find(body, "quality-deal_without_lead")
    assert {link.href for link in of_type(unlinked, "Link")} == {"/leads?rule=deal_without_lead"}
    assert f"all {checked['deal_without_lead']['count']} →" in texts(unlinked)


def test_a_clean_database_gets_a_clean_bill(tmp_path):
    """One well-formed lead: every rule clean, and the summary line says so."""
    from sqlalchemy import insert

    from dashboard.application import create_app
    from dashboard.settings import Settings
    from queries.db import init_db
    from queries.schema import Lead
    from tests.demo_fixture import AS_OF
    from tests.factories import t

    url = f"sqlite:///{tmp_path}/clean.db"
    with init_db(url).begin() as connection:
        connection.execute(insert(Lead), [{"id": 1, "external_id": "L1", "created_at": t("2026-11-02 09:00"),
                                                  "source": "web"}])
    app = create_app(Settings(database_url=url, as_of=AS_OF))
    with app.server.test_request_context():
        body = page("quality").update_quality(None)
    assert texts(find(body, page("quality").SUMMARY)) == ["✔ All 29 rules are clean."]
    rules = [row for row in of_type(body, "Tr") if getattr(row, "id", None)]
    assert len(rules) == 29 and all(row.className == "clean" for row in rules)


def test_an_empty_database_says_what_to_load(empty_settings):
    from dashboard.application import create_app

    app = create_app(empty_settings)
    with app.server.test_request_context():
        body = page("quality").update_quality(None)
    assert "No data loaded yet" in texts(body)


def test_hostile_examples_are_text(hostile_settings):
    """A deal whose external id is markup shows as that text, not as an element."""
    from dashboard.application import create_app

    app = create_app(hostile_settings)
    with app.server.test_request_context():
        body = page("quality").update_quality(None)
    assert IMAGE in texts(find(body, "quality-deal_without_lead"))
    assert of_type(body, "Markdown") == []
