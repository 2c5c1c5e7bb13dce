"""Agreement versions (SPEC "Versions"): each day scored by the version in force that day, a
rate by the one in force on the period's last day, the versions refused when out of order,
the pack naming the versions that scored its month, and the Agreement page listing them.

The calendar is the frozen agreement's: Mon-Fri 08:00-16:00 in Helsinki. October 2026 has 22
working days, November 21 (2-6, 9-13, 16-20, 23-27 and 30), December 21 (24 and 25 are
holidays).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.metrics.calendar import WorkCalendar
from dashboard.metrics.kpis import commitment_table
from dashboard.metrics.targets import commitment_daily_targets, commitment_rate_target
from dashboard.reports.pack import versions_lines
from dashboard.sla import AgreementError, load_agreement, parse_agreement, version_changes
from tests.agreements import agreement_mapping, agreement_text
from tests.factories import t

# Version 1, from 12 January 2026: 500 MQLs a month (no overrides), 70 % acceptance, and no SQL
# commitment. The current version, from 16 November 2026: the frozen agreement (400 a month, 300
# in December; 80 %; 120 SQLs a month).
OLD_MQLS = {"id": "mql_volume", "team": "marketing", "metric": "mqls", "target": {"month": 500}}
OLD_ACCEPTANCE = {"id": "mql_acceptance", "team": "marketing", "metric": "acceptance_rate", "target": 0.7}


def versioned(tmp_path, **changes):
    """The frozen agreement as version 2 from 16 Nov 2026 (agreed 12 Nov), with version 1 before it."""
    import yaml

    mapping = agreement_mapping()
    mapping.update(effective_from=dt.date(2026, 11, 16), agreed_on=dt.date(2026, 11, 12), versions=[{
        "effective_from": dt.date(2026, 1, 12), "agreed_on": dt.date(2026, 1, 10),
        "commitments": [OLD_MQLS, OLD_ACCEPTANCE]}], **changes)
    path = tmp_path / "sla.yaml"
    path.write_text(yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return load_agreement(path)


def month_table(rows: dict[str, dict]) -> pd.DataFrame:
    """A kpi table by hand: one row per month, the commitments' metrics only."""
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.DatetimeIndex(frame.index)
    for column in ("mqls", "sqls", "deals_won", "revenue_won"):  # a count is never unknown: 0
        frame[column] = frame[column].fillna(0) if column in frame else 0
    for column in ("acceptance_rate", "response_sla_attainment"):
        if column not in frame:
            frame[column] = float("nan")
    return frame


def scored_by_id(scored: pd.DataFrame, start: str) -> pd.DataFrame:
    return scored[scored["period_start"] == pd.Timestamp(start)].set_index("id")


def test_each_side_of_the_change_is_scored_by_its_own_version(tmp_path):
    """October under version 1: 500. November: 2-13 Nov (10 working days) at 500/21 and 16-30 Nov
    (11 working days) at 400/21: (5000 + 4400) / 21 = 447.619. December under version 2 with its
    override: 300. So October's 480 and November's 421 are missed, which the current 400 would
    have called met: the change does not rewrite the past."""
    agreement = versioned(tmp_path)
    table = month_table({"2026-10-01": {"mqls": 480, "acceptance_rate": 0.72},
                         "2026-11-01": {"mqls": 421, "acceptance_rate": 0.75},
                         "2026-12-01": {"mqls": 90, "acceptance_rate": 0.85}})
    scored = commitment_table(table, agreement, "month", t("2026-12-10 12:00"))
    october, november, december = (scored_by_id(scored, m) for m in ("2026-10-01", "2026-11-01", "2026-12-01"))

    assert october.loc["mql_volume", "target"] == pytest.approx(500)  # 22 days of 500/22
    assert october.loc["mql_volume", "status"] == "missed"
    assert november.loc["mql_volume", "target"] == pytest.approx(9400 / 21)
    assert november.loc["mql_volume", "status"] == "missed"
    # December runs: 7 working days gone (1-4, 7-9 Dec) and half of Thu 10 Dec's 08-16:
    # expected 7.5 x 300/21 = 107.142857; projected 90 x 21 / 7.5 = 252 < 90 % of 300 (270): behind.
    assert december.loc["mql_volume", "target"] == pytest.approx(300)
    assert december.loc["mql_volume", "expected"] == pytest.approx(7.5 * 300 / 21)
    assert december.loc["mql_volume", "projected"] == pytest.approx(252)
    assert december.loc["mql_volume", "status"] == "behind"


def test_a_day_before_the_earliest_version_takes_the_earliest_and_a_missing_commitment_has_none(tmp_path):
    """Version 1 began on 12 Jan 2026; December 2025 still takes its 500 a month (spread over that
    month's 23 weekdays less the holidays 24-26 Dec: 20 days of 25, summing to 500). Version 1 has
    no SQL commitment: October's SQLs have no target, December's have version 2's 120."""
    agreement = versioned(tmp_path)
    calendar = WorkCalendar.from_agreement(agreement)
    december_2025 = commitment_daily_targets(agreement, "mql_volume", calendar, "2025-12-01", "2026-01-01")
    assert december_2025.sum() == pytest.approx(500)
    october_sqls = commitment_daily_targets(agreement, "sql_volume", calendar, "2026-10-01", "2026-11-01")
    assert october_sqls.isna().all()
    table = month_table({"2026-10-01": {"sqls": 100}, "2026-12-01": {"sqls": 50}})
    scored = commitment_table(table, agreement, "month", t("2026-12-10 12:00"))
    assert scored_by_id(scored, "2026-10-01").loc["sql_volume", ["target", "status"]].tolist() == [None, None]
    assert scored_by_id(scored, "2026-12-01").loc["sql_volume", "target"] == pytest.approx(120)


def test_a_rate_target_is_the_one_in_force_on_the_periods_last_day(tmp_path):
    """November's last day (30 Nov) is under version 2: 80 %, so its 75 % is missed though version 1
    (70 %) held its first half. October (last day 31 Oct, version 1): 72 % against 70 % is met. While
    November runs, on 12 Nov (before the change), its target is that day's: 70 %."""
    agreement = versioned(tmp_path)
    table = month_table({"2026-10-01": {"acceptance_rate": 0.72}, "2026-11-01": {"acceptance_rate": 0.75}})
    scored = commitment_table(table, agreement, "month", t("2026-12-10 12:00"))
    assert scored_by_id(scored, "2026-10-01").loc["mql_acceptance", ["target", "status"]].tolist() == [0.7, "met"]
    assert scored_by_id(scored, "2026-11-01").loc["mql_acceptance", ["target", "status"]].tolist() == [0.8, "missed"]

    running = commitment_table(month_table({"2026-11-01": {"acceptance_rate": 0.75}}), agreement, "month",
                               t("2026-11-12 12:00"))
    # 75 % against 70 % while the month runs: ahead.
    assert scored_by_id(running, "2026-11-01").loc["mql_acceptance", ["target", "status"]].tolist() == [0.7, "ahead"]
    assert commitment_rate_target(agreement, "mql_acceptance", "2026-11-09", "2026-11-16", "2026-12-10") == 0.7


def test_the_pack_names_the_versions_that_scored_its_month(tmp_path):
    agreement = versioned(tmp_path)
    assert versions_lines(agreement, pd.Timestamp("2026-11-01")) == (
        "Version 1 (in force from 12 January 2026, agreed on 10 January 2026 by Head of Marketing, Head of Sales) "
        "scored 1–15 November 2026",
        "Version 2 (in force from 16 November 2026, agreed on 12 November 2026 by Head of Marketing, Head of Sales) "
        "scored 16–30 November 2026",
    )
    assert versions_lines(agreement, pd.Timestamp("2026-10-01")) == (
        "Version 1 (in force from 12 January 2026, agreed on 10 January 2026 by Head of Marketing, Head of Sales) "
        "scored October 2026",)


def test_what_changed_between_the_versions(tmp_path):
    first, second = versioned(tmp_path).all_versions
    changes = [(c.kind, c.subject, c.fields) for c in version_changes(first, second)]
    assert changes == [
        ("changed", "mql_volume", ("target", "overrides", "description")),
        ("changed", "mql_acceptance", ("target", "description")),
        ("added", "first_touch", ()), ("added", "sql_volume", ()), ("added", "deals_won", ()),
        ("added", "won_revenue", ()),
    ]


def test_the_agreement_page_lists_every_version_with_its_changes(tmp_path, empty_settings):
    from dashboard.application import create_app
    from tests.pages.tree import find, page, texts

    create_app(empty_settings)
    agreement_page = page("agreement")
    body = agreement_page.render_agreement(versioned(tmp_path), tmp_path / "sla.yaml", dt.date(2026, 12, 10))
    second = "".join(texts(find(body, "agreement-version-2")))
    assert "Version 2 — from Mon 16 Nov 2026 (in force now)" in second
    assert "Agreed on Thu 12 Nov 2026 by Head of Marketing, Head of Sales" in second
    assert ("Changed mql_volume (target, overrides, description): 500 MQLs a month → 400 MQLs a month; "
            "200 in Jul 2025, 300 in Dec 2025, 200 in Jul 2026, 300 in Dec 2026.") in second
    assert "Changed mql_acceptance (target, description): 70 % → 80 %." in second
    assert "Added sql_volume: 120 SQLs a month; 60 in Jul 2025, 60 in Jul 2026." in second
    first = "".join(texts(find(body, "agreement-version-1")))
    assert "Version 1 — from Mon 12 Jan 2026 to Sun 15 Nov 2026 (earlier version)" in first
    assert "Agreed on Sat 10 Jan 2026" in first and "The first version." in first


def _refusal(text: str) -> AgreementError:
    with pytest.raises(AgreementError) as caught:
        parse_agreement(text)
    return caught.value


VERSIONS_BLOCK = """versions:
  - effective_from: {day}
    commitments:
      - id: mql_volume
        team: marketing
        metric: mqls
        target: {{month: 500}}
"""


def _with_versions(day: str, current: str | None = "2026-11-16") -> str:
    edits = [("stage_probabilities:", VERSIONS_BLOCK.format(day=day) + "stage_probabilities:")]
    if current:
        edits.append(("commitments:\n  - id: mql_volume", f"effective_from: {current}\ncommitments:\n  - id: mql_volume"))
    return agreement_text(*edits)


def test_a_version_that_does_not_start_before_the_current_one_is_refused_at_its_line():
    text = _with_versions("2026-12-01")
    error = _refusal(text)
    # The line of the version's effective_from.
    assert error.line == text.splitlines().index("  - effective_from: 2026-12-01") + 1
    assert "versions must run in order" in error.reason and "2026-12-01 is not before 2026-11-16" in error.reason


def test_versions_without_the_current_versions_first_day_are_refused():
    text = _with_versions("2026-01-12", current=None)
    error = _refusal(text)
    assert error.line == text.splitlines().index("versions:") + 1
    assert "needs effective_from" in error.reason


def test_a_bad_commitment_in_an_earlier_version_is_refused_at_its_line():
    text = _with_versions("2026-01-12").replace("target: {month: 500}", "target: 0.5")
    error = _refusal(text)
    assert error.line == text.splitlines().index("      - id: mql_volume") + 1
    assert error.reason.startswith("versions.0.commitments.0: mqls is a count")


def test_a_valid_versioned_file_is_read():
    agreement = parse_agreement(_with_versions("2026-01-12"))
    assert [(v.number, v.effective_from, v.until) for v in agreement.all_versions] == [
        (1, dt.date(2026, 1, 12), dt.date(2026, 11, 16)), (2, dt.date(2026, 11, 16), None)]
    assert agreement.version_on(dt.date(2026, 11, 15)).number == 1
    assert agreement.version_on(dt.date(2026, 11, 16)).number == 2
    assert agreement.version_on(dt.date(2025, 1, 1)).number == 1


def test_a_commitment_that_changes_its_figure_between_versions_is_refused_at_its_line():
    text = _with_versions("2026-01-12").replace("        metric: mqls\n        target: {month: 500}",
                                                "        metric: sqls\n        target: {month: 500}")
    error = _refusal(text)
    assert error.line == text.splitlines().index("        metric: sqls") + 1
    assert "commitment mql_volume measures mqls in a later version, not sqls" in error.reason


def test_a_period_partly_under_a_version_without_the_commitment_has_no_target(tmp_path):
    """Version 1 has no SQL commitment; version 2 (from Mon 16 Nov) has 120 a month. November's
    1-15 Nov have no SQL target, so November as a whole has none (its 30 SQLs are never held
    against 11/21 of 120); the week of 16 Nov, wholly under version 2, has 5 x 120/21 =
    28.571429; the week of 9 Nov, wholly under version 1, none."""
    agreement = versioned(tmp_path)
    month = commitment_table(month_table({"2026-11-01": {"sqls": 30}}), agreement, "month", t("2026-12-10 12:00"))
    assert scored_by_id(month, "2026-11-01").loc["sql_volume", ["target", "status"]].tolist() == [None, None]
    weeks = month_table({"2026-11-09": {"sqls": 5}, "2026-11-16": {"sqls": 30}})
    scored = commitment_table(weeks, agreement, "week", t("2026-12-10 12:00"))
    assert scored_by_id(scored, "2026-11-09").loc["sql_volume", "target"] is None
    assert scored_by_id(scored, "2026-11-16").loc["sql_volume", "target"] == pytest.approx(5 * 120 / 21)
    assert scored_by_id(scored, "2026-11-16").loc["sql_volume", "status"] == "met"
