"""The scoreboard page: its callback as a plain function, and its numbers against `kpis`."""
from __future__ import annotations

import datetime as dt

from dashboard.components import formatting
from dashboard.metrics.kpis import compute_kpis
from dashboard.metrics.scoreboard import same_point_before, scoreboard
from tests.demo_fixture import AS_OF
from tests.factories import dataset, t
from tests.pages.tree import find, page, texts


def test_scoreboard_shows_every_commitment_with_the_kpis_figures(demo_app, demo_settings):
    """This month's actual and target of every commitment equal `kpis --grain month`."""
    with demo_app.server.test_request_context():
        body = page("scoreboard").update_scoreboard(None)
    agreement = demo_settings.agreement()
    from dashboard.data import dataset_for

    month = compute_kpis(dataset_for(demo_settings), agreement, "month", dt.date(2026, 11, 1), dt.date(2026, 11, 1), AS_OF)[0]
    for commitment in agreement.commitments:
        row = find(body, f"score-{commitment.id}-this_month")
        assert row is not None, commitment.id
        cells = texts(row)
        scored = month["commitments"][commitment.id]
        assert cells[0] == "This month"
        assert cells[1] == formatting.metric_value(commitment.metric, scored["actual"], agreement.currency)
        assert cells[2] == formatting.metric_value(commitment.metric, scored["target"], agreement.currency)
    shown = texts(body)
    assert "Marketing's commitments" in shown and "Sales' commitments" in shown


def test_scoreboard_says_what_to_load_on_an_empty_database(empty_settings):
    from dashboard.application import create_app

    app = create_app(empty_settings)
    with app.server.test_request_context():
        body = page("scoreboard").update_scoreboard(None)
    assert "No data loaded yet" in texts(body)


def test_previous_month_to_date_is_compared_at_the_same_point():
    """At Fri 20 Nov 12:00, this month's 2 MQLs face October's MQLs up to 20 Oct 12:00 (1),
    not the whole of October (3)."""
    from tests.agreements import frozen_agreement

    agreement = frozen_agreement()
    data = dataset([
        dict(id=1, created_at="2026-10-05 09:00", mql_at="2026-10-05 10:00"),
        dict(id=2, created_at="2026-10-21 09:00", mql_at="2026-10-21 10:00"),
        dict(id=3, created_at="2026-10-28 09:00", mql_at="2026-10-28 10:00"),
        dict(id=4, created_at="2026-11-02 09:00", mql_at="2026-11-02 10:00"),
        dict(id=5, created_at="2026-11-19 09:00", mql_at="2026-11-19 10:00"),
    ])
    as_of = t("2026-11-20 12:00")
    assert same_point_before(as_of, "month", agreement.tz) == t("2026-10-20 12:00")
    board = scoreboard(data, agreement, as_of).set_index(["horizon", "id"])
    assert board.loc[("this_month", "mql_volume"), "actual"] == 2
    assert board.loc[("this_month", "mql_volume"), "previous_same_point"] == 1
    assert board.loc[("last_month", "mql_volume"), "actual"] == 3
    assert board.loc[("last_month", "mql_volume"), "status"] == "missed"  # last month is over: final (SPEC 9)


def _board_body(filters):
    """The scoreboard of a hand dataset at Fri 20 Nov 2026 12:00, as the page renders it."""
    from dashboard.reports.context import ReportContext
    from dashboard.reports.scoreboard import scoreboard_report
    from tests.agreements import frozen_agreement

    data = dataset([
        dict(id=1, created_at="2026-11-10 09:00", mql_at="2026-11-10 10:00", segment="SMB"),
        dict(id=2, created_at="2026-11-11 09:00", mql_at="2026-11-11 10:00", segment="SMB"),
        dict(id=3, created_at="2026-11-16 09:00", mql_at="2026-11-16 10:00", segment="SMB"),
    ])
    report = scoreboard_report(ReportContext(data, frozen_agreement(), t("2026-11-20 12:00"), filters))
    return page("scoreboard").render_scoreboard(report)


def test_last_week_reads_missed_in_a_final_badge_never_at_risk(empty_settings):
    """Last week (9-15 Nov) had 2 MQLs of 5 x 400/21 = 95.24: it is over, so missed."""
    from dashboard.application import create_app
    from dashboard.reports.filters import ViewFilters

    create_app(empty_settings)
    body = _board_body(ViewFilters())
    row = find(body, "score-mql_volume-last_week")
    badge = row.children[-2].children  # the status cell's badge
    assert texts(row)[:3] == ["Last week", "2", "95"]
    assert badge.children == "✖ Missed" and "final" in badge.className.split()
    assert "At risk" not in " ".join(texts(row))


def test_a_slice_without_targets_says_so_on_the_scoreboard(empty_settings):
    """The frozen agreement gives no segment a target: this month's MQLs for Mid-market have
    none, and the page says so instead of the company's 400."""
    from dashboard.application import create_app
    from dashboard.reports.filters import ViewFilters

    create_app(empty_settings)
    body = _board_body(ViewFilters(segments=("Mid-market",)))
    cells = texts(find(body, "score-mql_volume-this_month"))
    assert cells[2] == "no target for this slice"
    assert "– No target for this slice" in cells
    assert "never the company's target" in " ".join(texts(find(body, "scoreboard-slice")))
