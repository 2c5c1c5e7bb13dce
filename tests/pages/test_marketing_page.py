"""The marketing page: its figures against hand-worked values (SPEC 2, 6, 9), and its callback
called as a plain function on the demo database and on an empty one.

The hand-made dataset, in Helsinki time, as of Fri 20 Nov 2026 12:00 (the frozen agreement: 400
MQLs a month, Mon-Fri 08:00-16:00, no holiday in November 2026, so 21 working days):

  lead  created        MQL            then                          source       campaign  segment
  1     Mon 2 Nov      Mon 2 Nov      SAL Tue 3 Nov (accepted)      paid_search  -         SMB
  2     Tue 3 Nov      Wed 4 Nov      SAL Fri 6 Nov (accepted)      paid_search  -         SMB
  3     Wed 4 Nov      -              disqualified "Student"        webinar      10        Enterprise
  4     Tue 10 Nov     Wed 11 Nov     rejected, no reason           webinar      10        SMB
  5     Tue 10 Nov     Thu 12 Nov*    SQL Thu 12 Nov (*inferred)    (none)       -         Enterprise
  6     Tue 17 Nov     Tue 17 Nov     undecided                     paid_search  -         SMB
  7     Tue 3 Nov      Tue 3 Nov      rejected "Student"            webinar      10        SMB
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.metrics import acceptance
from dashboard.metrics.calendar import WorkCalendar
from dashboard.metrics.funnel_views import known_stages, local_range, stage_counts
from dashboard.metrics.kpis import commitment_table, compute_kpis, kpi_table
from dashboard.metrics.marketing import (
    against_target,
    breakdown,
    commitment_for,
    cumulative_pacing,
    month_pace,
    rejections_in_range,
    totals,
)
from dashboard.metrics.targets import daily_targets
from tests.agreements import agreement_file, agreement_mapping, frozen_agreement
from tests.demo_fixture import AS_OF
from tests.factories import dataset, t
from tests.pages import tree
from tests.pages.tree import find, texts

AGREEMENT = frozen_agreement()
CALENDAR = WorkCalendar.from_agreement(AGREEMENT)
TZ = AGREEMENT.tz
HAND_AS_OF = t("2026-11-20 12:00")
NOVEMBER = local_range(dt.date(2026, 11, 1), dt.date(2026, 11, 30), TZ)


def hand_dataset():
    return dataset(
        [
            dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-02 10:00", sal_at="2026-11-03 10:00",
                 source="paid_search", segment="SMB"),
            dict(id=2, created_at="2026-11-03 09:00", mql_at="2026-11-04 09:00", sal_at="2026-11-06 12:00",
                 source="paid_search", segment="SMB"),
            dict(id=3, created_at="2026-11-04 09:00", disqualified_at="2026-11-05 12:00", disqualified_reason="Student",
                 source="webinar", campaign_id=10, segment="Enterprise"),
            dict(id=4, created_at="2026-11-10 09:00", mql_at="2026-11-11 09:00", disqualified_at="2026-11-12 09:00",
                 disqualified_reason="  ", source="webinar", campaign_id=10, segment="SMB"),
            dict(id=5, created_at="2026-11-10 10:00", sql_at="2026-11-12 10:00", segment="Enterprise"),
            dict(id=6, created_at="2026-11-17 09:00", mql_at="2026-11-17 12:00", source="paid_search", segment="SMB"),
            dict(id=7, created_at="2026-11-03 11:00", mql_at="2026-11-03 12:00", disqualified_at="2026-11-04 12:00",
                 disqualified_reason="Student", source="webinar", campaign_id=10, segment="SMB"),
        ],
        campaign_rows=[dict(id=10, name="Webinar series", channel="webinar", cost=1000)],
    )


@pytest.fixture
def stages():
    return known_stages(hand_dataset(), HAND_AS_OF)


@pytest.fixture
def decided(stages):
    return acceptance.decisions(stages)


# --- metric functions against hand-worked values ----------------------------------------

def test_commitments_are_found_by_metric():
    assert commitment_for(AGREEMENT, "mqls").id == "mql_volume"
    assert commitment_for(AGREEMENT, "acceptance_rate").id == "mql_acceptance"
    assert commitment_for(AGREEMENT, "conv_lead_mql") is None


def test_breakdown_by_source(stages, decided):
    """paid_search: created 1, 2, 6; MQLs 1, 2, 6; accepted 1, 2; 6 undecided -> 2/2 = 100 %.
    webinar: created 3, 4, 7; MQLs 4, 7, both rejected (4 without a reason) -> 0/2 = 0 %.
    no source: lead 5, an MQL and a SAL by inference from its SQL (SPEC 1) -> 1/1."""
    table = breakdown(stages, decided, "source", *NOVEMBER)
    assert table.to_dict("list") == {
        "group": ["paid_search", "webinar", "(no source)"],
        "leads": [3, 3, 1], "mqls": [3, 2, 1], "accepted": [2, 0, 1], "rejected": [0, 2, 0],
        "undecided": [1, 0, 0], "rejected_without_reason": [0, 1, 0], "acceptance_rate": [1.0, 0.0, 1.0],
    }


def test_breakdown_by_campaign_uses_campaign_names(stages, decided):
    """Webinar series: leads 3, 4, 7, MQLs 4 and 7, both rejected; no campaign: leads 1, 2, 5,
    6, all MQLs, 3 accepted and 6 undecided -> 3/3."""
    table = breakdown(stages, decided, "campaign", *NOVEMBER, campaigns=hand_dataset().campaigns)
    assert table[["group", "leads", "mqls", "accepted", "rejected"]].to_dict("list") == {
        "group": ["(no campaign)", "Webinar series"], "leads": [4, 3], "mqls": [4, 2], "accepted": [3, 0],
        "rejected": [0, 2]}
    assert table["acceptance_rate"].tolist() == [1.0, 0.0]


def test_breakdown_by_segment_keeps_to_the_date_range(stages, decided):
    """Mon 9 - Sun 15 Nov: created 4 (SMB) and 5 (Enterprise); MQLs 4 (rejected) and 5 (accepted)."""
    table = breakdown(stages, decided, "segment", *local_range(dt.date(2026, 11, 9), dt.date(2026, 11, 15), TZ))
    assert table[["group", "leads", "mqls", "accepted", "rejected", "acceptance_rate"]].to_dict("list") == {
        "group": ["Enterprise", "SMB"], "leads": [1, 1], "mqls": [1, 1], "accepted": [1, 0], "rejected": [0, 1],
        "acceptance_rate": [1.0, 0.0]}


def test_totals_of_a_breakdown(stages, decided):
    """7 leads, 6 MQLs; 3 accepted, 2 rejected (one without a reason), 1 undecided -> 3/5 = 60 %."""
    assert totals(breakdown(stages, decided, "segment", *NOVEMBER)) == {
        "leads": 7, "mqls": 6, "accepted": 3, "rejected": 2, "undecided": 1, "rejected_without_reason": 1,
        "acceptance_rate": 0.6}


def test_rejection_reasons_flag_the_one_without_a_reason(decided):
    """Lead 7 "Student", lead 4 a blank reason: an SLA violation (SPEC 6). Lead 3 was never an
    MQL: not a rejection by sales."""
    reasons = rejections_in_range(decided, *NOVEMBER).set_index("reason")
    assert reasons["rejections"].to_dict() == {"Student": 1, "(no reason given)": 1}
    assert reasons["share"].to_dict() == {"Student": 0.5, "(no reason given)": 0.5}
    assert reasons["violation"].to_dict() == {"Student": False, "(no reason given)": True}


def test_cumulative_pacing_stops_at_today():
    """Fri 6 - Mon 9 Nov, today Sunday 8: MQLs 3, 1, 0 cumulate to 3, 4, 4 and Monday is not
    known yet; the target of 10 a working day ramps 10, 10, 10, 20 (flat over the weekend)."""
    dates = pd.date_range("2026-11-06", "2026-11-09", freq="D")
    targets = pd.Series([10.0, 0.0, 0.0, 10.0], index=dates)
    mqls = pd.Series({pd.Timestamp("2026-11-06"): 3, pd.Timestamp("2026-11-07"): 1, pd.Timestamp("2026-11-09"): 5})
    frame = cumulative_pacing(mqls, targets, pd.Timestamp("2026-11-08"))
    assert frame["mqls"].tolist()[:3] == [3.0, 1.0, 0.0] and pd.isna(frame["mqls"].iloc[3])
    assert frame["cumulative_mqls"].tolist()[:3] == [3.0, 4.0, 4.0] and pd.isna(frame["cumulative_mqls"].iloc[3])
    assert frame["cumulative_target"].tolist() == [10.0, 10.0, 10.0, 20.0]


def test_month_pace_of_the_hand_made_november(stages):
    """SPEC 9. By Fri 20 Nov 12:00, 14 working days of November have passed (2-6, 9-13, 16-19
    Nov) and half of the 20th (08:00-16:00): e = 14.5 / 21. Six MQLs (2, 3, 4, 11, 12, 17 Nov)
    against 400: expected 400 x 14.5/21 = 276.19, projected 6 x 21/14.5 = 8.69, still needed
    394 over 6.5 working days = 60.62 a day: behind. The target ramp reaches 285.71 (15 of 21
    working days) at the end of the 20th and 400 on the 30th."""
    days = pd.date_range("2026-11-01", "2026-11-30", freq="D")
    daily = stage_counts(stages, days, TZ, "day")["mqls"]
    pacing = cumulative_pacing(daily, daily_targets(AGREEMENT.commitment("mql_volume"), CALENDAR,
                                                    "2026-11-01", "2026-12-01"), pd.Timestamp("2026-11-20"))
    assert pacing.set_index("date").loc["2026-11-20", "cumulative_mqls"] == 6
    assert pacing.set_index("date").loc["2026-11-20", "cumulative_target"] == pytest.approx(400 * 15 / 21)
    assert pacing["cumulative_target"].iloc[-1] == pytest.approx(400)
    pace = month_pace(pacing, CALENDAR, HAND_AS_OF)
    assert pace["actual"] == 6 and pace["target"] == pytest.approx(400)
    assert pace["expected"] == pytest.approx(400 * 14.5 / 21)
    assert pace["projected"] == pytest.approx(6 * 21 / 14.5)
    assert pace["required_per_day"] == pytest.approx(394 / 6.5)
    assert pace["status"] == "behind"


def test_volume_against_the_weekly_mql_target():
    """Weekly MQL target: 5 working days x 400/21 = 95.24 each November week; the running
    week (16-20 Nov) expects 4.5 of its 5 days by Friday noon = 85.71."""
    periods = pd.DatetimeIndex(["2026-11-02", "2026-11-09", "2026-11-16"])
    kpis = kpi_table(hand_dataset(), AGREEMENT, "week", periods, HAND_AS_OF)
    volume = against_target(kpis, commitment_table(kpis, AGREEMENT, "week", HAND_AS_OF), "mql_volume",
                            ("leads", "mqls"))
    assert volume["leads"].tolist() == [4, 2, 1] and volume["mqls"].tolist() == [3, 2, 1]
    assert volume["target"].tolist() == pytest.approx([2000 / 21] * 3)
    assert volume["expected"].tolist() == pytest.approx([2000 / 21, 2000 / 21, 2000 / 21 * 0.9])
    # The weeks of 2 and 9 November are over (final: missed); 16-20 Nov still runs (behind).
    assert volume["status"].tolist() == ["missed", "missed", "behind"]
    no_target = against_target(kpis, commitment_table(kpis, AGREEMENT, "week", HAND_AS_OF), None, ("mqls",))
    assert no_target["target"].isna().all() and no_target["status"].isna().all()


def test_a_rate_commitment_scored_alone_against_its_target():
    """An agreement with an acceptance target and no MQL target: the scored table then has no
    `expected` column at all. Acceptance W45 2/3 and W46 1/2 are behind 80 %; W47 has no
    decision, so no status."""
    periods = pd.DatetimeIndex(["2026-11-02", "2026-11-09", "2026-11-16"])
    kpis = kpi_table(hand_dataset(), AGREEMENT, "week", periods, HAND_AS_OF)
    acceptance_only = AGREEMENT.model_copy(update={"commitments": [AGREEMENT.commitment("mql_acceptance")]})
    scored = commitment_table(kpis, acceptance_only, "week", HAND_AS_OF)
    accepted = against_target(kpis, scored, "mql_acceptance", ("acceptance_rate",))
    assert accepted["target"].tolist() == [0.8, 0.8, 0.8]
    assert accepted["expected"].isna().all()
    # The first two weeks are over, so their results are final (SPEC 9).
    assert accepted["status"].tolist() == ["missed", "missed", None]


# --- the page's callback ----------------------------------------------------------------

def _kpis(settings, grain, start, end):
    from dashboard.data import dataset_for

    return compute_kpis(dataset_for(settings), settings.agreement(), grain, start, end, AS_OF)


@pytest.fixture
def page_body(demo_app):
    page = tree.page("marketing")

    with demo_app.server.test_request_context():
        return page.update_marketing({"grain": "month"})


def test_cards_show_the_kpis_figures(page_body, demo_settings):
    """Default range 1 Jun - 20 Nov in whole months: leads and MQLs are the sums of
    `kpis --grain month`; this month's pace is the mql_volume commitment of November."""
    from dashboard.components import formatting

    page = tree.page("marketing")

    months = _kpis(demo_settings, "month", dt.date(2026, 6, 1), dt.date(2026, 11, 20))
    assert texts(find(page_body, page.CARD.format("leads")))[1] == formatting.count(sum(m["leads"] for m in months))
    assert texts(find(page_body, page.CARD.format("mqls")))[1] == formatting.count(sum(m["mqls"] for m in months))
    november = months[-1]["commitments"]["mql_volume"]
    pace = texts(find(page_body, page.CARD.format("pace")))
    assert pace[1] == f"{formatting.count(november['actual'])} of {formatting.count(november['target'])}"
    assert f"projected {formatting.count(november['projected'])}" in pace[2]


def test_volume_chart_has_the_mql_target_of_kpis(page_body, demo_settings):
    page = tree.page("marketing")

    months = _kpis(demo_settings, "month", dt.date(2026, 6, 1), dt.date(2026, 11, 20))
    figure = find(page_body, page.VOLUME_GRAPH).figure
    by_name = {trace.name: trace for trace in figure.data}
    assert list(by_name["MQLs"].y) == [m["mqls"] for m in months]
    assert list(by_name["Leads"].y) == [m["leads"] for m in months]
    target = by_name["MQL target"]
    assert list(target.y) == pytest.approx([m["commitments"]["mql_volume"]["target"] for m in months])
    assert target.line.dash == "dash"
    assert list(by_name["MQL target expected by now"].y) == pytest.approx(
        [months[-1]["commitments"]["mql_volume"]["expected"]])


def test_pacing_chart_ramps_to_the_month_target_and_marks_today(page_body):
    page = tree.page("marketing")

    figure = find(page_body, page.PACING_GRAPH).figure
    by_name = {trace.name: trace for trace in figure.data}
    ramp = by_name["Target, ramped by working days"]
    assert len(ramp.y) == 30 and ramp.y[-1] == pytest.approx(400)  # November 2026, no override
    cumulative = [y for y in by_name["MQLs so far"].y if y is not None and y == y]
    assert len(cumulative) == 20  # 1-20 November known, the rest still to come
    assert any(a.text == "Today, 20 Nov" for a in figure.layout.annotations)
    assert "Projected at this pace" in by_name


def test_acceptance_against_its_target_and_violations_highlighted(page_body, demo_settings):
    from dashboard.components import formatting

    page = tree.page("marketing")

    months = _kpis(demo_settings, "month", dt.date(2026, 6, 1), dt.date(2026, 11, 20))
    figure = find(page_body, page.ACCEPTANCE_GRAPH).figure
    by_name = {trace.name: trace for trace in figure.data}
    assert list(by_name["MQL acceptance"].y) == pytest.approx([m["acceptance_rate"] for m in months])
    assert set(by_name["Target"].y) == {0.8}

    from dashboard.data import dataset_for

    decided = acceptance.decisions(known_stages(dataset_for(demo_settings), AS_OF))
    reasons = rejections_in_range(decided, *local_range(dt.date(2026, 6, 1), dt.date(2026, 11, 20), TZ))
    without = int(reasons.loc[reasons["violation"], "rejections"].sum())
    assert texts(find(page_body, page.CARD.format("violations")))[1] == formatting.count(without)
    rejections = find(page_body, page.REJECTIONS_GRAPH).figure.data[0]
    assert sum(rejections.x) == reasons["rejections"].sum()
    violations = " ".join(texts(find(page_body, page.VIOLATIONS)))
    if without:
        assert f"{formatting.count(without)} without a reason: SLA violations." in violations
    else:
        assert "Every rejection has a reason." in violations


def test_rejections_without_a_reason_are_drawn_as_a_violation(decided):
    """The no-reason group is red and named as an SLA violation; the others are grey."""
    from dashboard.components.marketing_charts import rejections_figure

    bars = rejections_figure(rejections_in_range(decided, *NOVEMBER), "No reason: SLA violation").data[0]
    colours = {label: colour for label, colour in zip(bars.y, bars.marker.color)}
    flagged = [label for label in colours if "No reason: SLA violation" in label]
    assert len(flagged) == 1 and colours[flagged[0]] == "#c62828"
    assert colours["Student"] == "#8c959f"


def test_breakdowns_by_source_campaign_and_segment(page_body):
    """Each breakdown's MQL column adds up to the range's MQLs."""
    from dashboard.components import formatting

    page = tree.page("marketing")

    mqls = texts(find(page_body, page.CARD.format("mqls")))[1]
    for by in ("source", "campaign", "segment"):
        rows = find(page_body, page.BREAKDOWN_TABLE.format(by)).children[1].children
        column = [int(texts(row)[2].replace(",", "")) for row in rows]
        assert formatting.count(sum(column)) == mqls, by
    segments = [texts(row)[0] for row in find(page_body, page.BREAKDOWN_TABLE.format("segment")).children[1].children]
    assert set(segments) == {"SMB", "Mid-market", "Enterprise"}


def test_a_filtered_view_without_slice_targets_says_no_target_for_this_slice(demo_app):
    """The frozen agreement gives no segment its own target, so Enterprise's MQLs are scored
    against none: never against the company's 400 a month (SPEC "Targets per slice")."""
    page = tree.page("marketing")

    with demo_app.server.test_request_context():
        body = page.update_marketing({"grain": "week", "segments": ["Enterprise"]})
    assert "never the company's" in " ".join(texts(find(body, page.FILTER_NOTE)))
    assert "no target for this slice" in texts(find(body, page.CARD.format("mqls")))
    assert "no target for this slice" in texts(find(body, page.CARD.format("acceptance")))


def test_an_agreement_without_marketing_commitments_draws_no_target(demo_app, demo_settings, tmp_path, monkeypatch):
    """Without mql_volume and mql_acceptance the page still shows the figures, and says the
    agreement sets no target rather than drawing one."""
    import dataclasses

    from dashboard.application import SETTINGS_KEY

    kept = [c for c in agreement_mapping()["commitments"] if c["metric"] not in ("mqls", "acceptance_rate")]
    path = agreement_file(tmp_path, commitments=kept)
    monkeypatch.setitem(demo_app.server.config, SETTINGS_KEY, dataclasses.replace(demo_settings, sla_path=path))
    page = tree.page("marketing")
    with demo_app.server.test_request_context():
        body = page.update_marketing(None)
    assert "the agreement sets no MQL target" in texts(find(body, page.CARD.format("mqls")))
    assert "the agreement sets no acceptance target" in texts(find(body, page.CARD.format("acceptance")))
    for graph_id in (page.VOLUME_GRAPH, page.PACING_GRAPH, page.ACCEPTANCE_GRAPH):
        names = {trace.name for trace in find(body, graph_id).figure.data}
        assert not {"MQL target", "Target", "Target, ramped by working days"} & names, graph_id
    assert {trace.name for trace in find(body, page.VOLUME_GRAPH).figure.data} >= {"Leads", "MQLs"}


@pytest.mark.parametrize("state", [
    {"grain": "day", "start": "2020-01-01", "end": "2020-01-31"},   # before any lead
    {"grain": "day", "start": "2026-11-20", "end": "2026-12-31"},   # mostly after as_of
    {"grain": "quarter", "start": "2026-11-20", "end": "2026-11-20"},
    {"grain": "week", "segments": ["No such segment"]},             # nothing matches the filter
])
def test_odd_ranges_and_filters_render_without_an_error(demo_app, state):
    page = tree.page("marketing")
    with demo_app.server.test_request_context():
        shown = " ".join(texts(page.update_marketing(state)))
    assert "could not be computed" not in shown and "cannot be reached" not in shown


def test_empty_database_says_what_to_load(empty_settings):
    from dashboard.application import create_app

    app = create_app(empty_settings)
    page = tree.page("marketing")

    with app.server.test_request_context():
        assert "No data loaded yet" in texts(page.update_marketing(None))
