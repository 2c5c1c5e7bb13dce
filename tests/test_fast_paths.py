"""The metric engine's shortcuts (stages worked out once per dataset, only the leads of the
asked periods worked on) give exactly the figures of the straightforward computation."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from dashboard.demo import generate_demo
from dashboard.metrics import acceptance, deals, funnel, response
from dashboard.metrics.calendar import WorkCalendar, local_midnight, period_end
from dashboard.metrics.kpis import kpi_table, periods_for
from dashboard.metrics.stages import as_known_at, effective_stages, latest_date
from queries.db import init_db
from queries.loaders import LEAD_TIMESTAMPS, load_dataset
from tests.agreements import frozen_agreement
from tests.factories import dataset, t

TODAY = dt.date(2026, 11, 20)


def _recorded(data, as_of):
    """The records as recorded by as_of, written out with no shortcut (SPEC "Recorded time"):
    later records left out, each later change undone one by one, the newest first."""
    frames = {}
    for name in ("leads", "deals", "activities"):
        frame = getattr(data, name)
        frames[name] = frame[~(frame["recorded_at"] > as_of)].copy()
    later = data.changes[data.changes["recorded_at"] > as_of].sort_values(["recorded_at", "id"], ascending=False)
    for change in later.itertuples():
        frame = frames[change.table_name]
        rows = frame.index[frame["id"] == change.record_id]
        if change.field.endswith("_at"):
            old = pd.NaT if pd.isna(change.old_value) else pd.Timestamp(change.old_value)
        elif change.field == "is_won":
            old = pd.NA if pd.isna(change.old_value) else change.old_value == "true"
        else:
            old = None if pd.isna(change.old_value) else change.old_value
        frame.loc[rows, change.field] = old
    return dataclasses.replace(data, **frames)


def _cut(data, as_of):
    """as_known_at written out with no shortcut (SPEC "as_of")."""
    data = _recorded(data, as_of)
    leads = data.leads[data.leads["created_at"] <= as_of].copy()
    for column in LEAD_TIMESTAMPS:
        leads[column] = leads[column].where(leads[column] <= as_of)
    leads.loc[leads["disqualified_at"].isna(), "disqualified_reason"] = None
    leads.loc[leads["recycled_at"].isna(), "recycled_reason"] = None
    found = data.deals[data.deals["created_at"] <= as_of].copy()
    later = found["closed_at"] > as_of
    found.loc[later, "closed_at"] = pd.NaT
    found.loc[later, "is_won"] = pd.NA
    found.loc[later, "lost_reason"] = None
    return dataclasses.replace(data, leads=leads, deals=found,
                               activities=data.activities[data.activities["occurred_at"] <= as_of])


def _reference(data, agreement, grain, periods, as_of):
    """kpi_table over every lead, stages computed afresh."""
    tz = agreement.tz
    known = _cut(data, as_of)
    stages = effective_stages(known.leads, known.deals)
    table = funnel.flow_counts(stages, periods, tz, grain)
    for a, b in funnel.CONVERSIONS:
        cohort = funnel.cohort_conversion(stages, periods, tz, grain, a, b, as_of)
        table[f"conv_{a}_{b}"], table[f"conv_{a}_{b}_cohort"] = cohort["rate"], cohort["cohort"]
        table[f"conv_{a}_{b}_immature"] = cohort["immature"]
    table = table.join(deals.closed_by_period(known.deals, periods, tz, grain, agreement.currency,
                                              agreement.exchange_rates))
    responses = response.response_times(
        stages, known.activities, WorkCalendar.from_agreement(agreement), agreement.response_window_hours, as_of,
        since=local_midnight(periods.min(), tz), until=local_midnight(period_end(periods.max(), grain), tz))
    table = table.join(response.attainment_by_period(responses, periods, tz, grain))
    table = table.join(acceptance.acceptance_by_period(acceptance.decisions(stages), periods, tz, grain))
    table.index.name = "period_start"
    return table


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    engine = init_db(f"sqlite:///{tmp_path_factory.mktemp('fast')}/fast.db")
    generate_demo(engine, seed=5, today=TODAY, n_leads=1500)
    return load_dataset(engine)


@pytest.mark.parametrize("grain, start, end, as_of", [
    ("week", "2025-11-20", "2026-11-20", "2026-11-20 12:00"),   # after every record: the shared stages
    ("week", "2025-11-20", "2026-11-20", "2026-12-31 12:00"),
    ("month", "2025-01-01", "2026-11-20", "2026-11-20 12:00"),
    ("day", "2026-10-01", "2026-10-31", "2026-10-20 12:00"),    # in the past: cut, then sliced
    ("quarter", "2025-01-01", "2026-06-30", "2026-05-03 09:00"),
    ("month", "2026-03-01", "2026-03-31", "2026-03-18 17:30"),
])
def test_fast001_kpi_table_equals_the_straightforward_computation(demo, grain, start, end, as_of):
    agreement = frozen_agreement()
    periods = periods_for(grain, dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    as_of = t(as_of)
    expected = _reference(demo, agreement, grain, periods, as_of)
    assert expected["leads"].sum() > 0
    pd.testing.assert_frame_equal(kpi_table(demo, agreement, grain, periods, as_of)[expected.columns], expected)


def test_fast002_without_maturity_only_the_flags_differ(demo):
    agreement = frozen_agreement()
    periods = periods_for("week", dt.date(2026, 9, 1), TODAY)
    as_of = t("2026-11-20 12:00")
    full = kpi_table(demo, agreement, "week", periods, as_of)
    quick = kpi_table(demo, agreement, "week", periods, as_of, with_maturity=False)
    flags = [c for c in full.columns if c.endswith("_immature")]
    assert full[flags].to_numpy().any() and not quick[flags].to_numpy().any()
    pd.testing.assert_frame_equal(quick.drop(columns=flags), full.drop(columns=flags))


def test_fast003_as_known_at_from_the_latest_date_on_no_longer_depends_on_as_of():
    """From the latest date (the deal closing on the 10th) on, the same records whatever the
    as_of: with lead 2's reason, which has no date, cleared (a copy); without it, the dataset
    itself. Before it, a fresh cut: the deal is still open on the 9th."""
    data = dataset([dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-03 09:00"),
                    dict(id=2, created_at="2026-11-02 09:00", disqualified_reason="spam")],
                   [dict(id=1, lead_id=1, created_at="2026-11-05 09:00", closed_at="2026-11-10 09:00", is_won=True)])
    assert latest_date(data) == t("2026-11-10 09:00")
    later = as_known_at(data, t("2027-01-01 00:00"))
    assert later is not data
    pd.testing.assert_frame_equal(later.leads, as_known_at(data, t("2026-11-10 09:00")).leads)
    assert later.leads["disqualified_reason"].isna().all()
    clean = dataclasses.replace(data, leads=data.leads[data.leads["id"] == 1])
    assert as_known_at(clean, t("2026-11-10 09:00")) is clean
    before = as_known_at(clean, t("2026-11-09 09:00"))
    assert before is not clean and before.deals["is_won"].isna().all()


def test_fast004_requests_on_one_data_version_share_the_settled_frames_and_no_other():
    """The context's as_of-independent frames (known records, stages) are worked out once per
    data version in the app's cache; another version gets its own, and the cache's bound lets
    old versions go."""
    from dashboard.cache import Cache
    from dashboard.reports.context import ReportContext

    data = dataset([dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-03 09:00")])
    from dashboard.sla import parse_agreement
    from tests.test_shared_cache import MINIMAL_AGREEMENT

    agreement = parse_agreement(MINIMAL_AGREEMENT)
    cache = Cache(memory_entries=2)
    now = t("2026-11-20 12:00")
    first = ReportContext(data, agreement, now, cache=cache, data_version="v1")
    again = ReportContext(data, agreement, t("2026-11-20 12:05"), cache=cache, data_version="v1")
    assert again.stages is first.stages and again.known is first.known
    newer = dataclasses.replace(data)
    other = ReportContext(newer, agreement, now, cache=cache, data_version="v2")
    assert other.stages is not first.stages
    pd.testing.assert_frame_equal(other.stages, first.stages)
    assert len(ReportContext(dataclasses.replace(data), agreement, now, cache=cache, data_version="v3").stages) == 1
    assert len(cache._memory) == 2  # v1's frames went first
