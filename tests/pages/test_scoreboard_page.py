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
