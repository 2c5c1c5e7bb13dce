"""The scoreboard page: its callback as a plain function, and its numbers against `kpis`."""
from __future__ import annotations

import datetime as dt

from dashboard.components import formatting
from dashboard.metrics.kpis import compute_kpis
from dashboard.metrics.scoreboard import scoreboard, same_point_before
from tests.demo_fixture import AS_OF
from tests.factories import dataset, t


def _texts(component) -> list[str]:
    """Every string in a rendered component tree, depth first."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [text for child in component for text in _texts(child)]
    children = getattr(component, "children", None)
    return _texts(children) if children is not None else []


def _find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children] if children is not None else []:
        found = _find(child, component_id)
        if found is not None:
            return found
    return None


def test_scoreboard_shows_every_commitment_with_the_kpis_figures(demo_app, demo_settings):
    """This month's actual and target of every commitment equal `kpis --grain month`."""
    from dashboard.pages import scoreboard as page

    with demo_app.server.test_request_context():
        body = page.update_scoreboard(None)
    agreement = demo_settings.agreement()
    from dashboard.data import dataset_for

    month = compute_kpis(dataset_for(demo_settings), agreement, "month", dt.date(2026, 11, 1), dt.date(2026, 11, 1), AS_OF)[0]
    for commitment in agreement.commitments:
        row = _find(body, f"score-{commitment.id}-this_month")
        assert row is not None, commitment.id
        cells = _texts(row)
        scored = month["commitments"][commitment.id]
        assert cells[0] == "This month"
        assert cells[1] == formatting.metric_value(commitment.metric, scored["actual"], agreement.currency)
        assert cells[2] == formatting.metric_value(commitment.metric, scored["target"], agreement.currency)
    texts = _texts(body)
    assert "Marketing's commitments" in texts and "Sales' commitments" in texts


def test_scoreboard_says_what_to_load_on_an_empty_database(empty_settings):
    from dashboard.application import create_app

    app = create_app(empty_settings)
    from dashboard.pages import scoreboard as page

    with app.server.test_request_context():
        body = page.update_scoreboard(None)
    assert "No data loaded yet" in _texts(body)


def test_previous_month_to_date_is_compared_at_the_same_point():
    """At Fri 20 Nov 12:00, this month's 2 MQLs face October's MQLs up to 20 Oct 12:00 (1),
    not the whole of October (3)."""
    from dashboard.sla import load_agreement

    agreement = load_agreement()
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
    assert board.loc[("last_month", "mql_volume"), "status"] == "behind"
