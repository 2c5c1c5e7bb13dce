"""The vocabulary is complete: every figure has its label, definition and SPEC rule, every
kpis field is a figure of the vocabulary and is computed, and the layers that cannot import
the vocabulary agree with it."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard import vocabulary
from dashboard.vocabulary import METRIC, METRICS, STAGE, STAGES


@pytest.mark.parametrize("metric", METRICS, ids=lambda metric: metric.name)
def test_voc001_every_metric_has_a_label_a_definition_and_its_spec_rule(metric):
    assert metric.label.strip() and metric.label != metric.name
    assert metric.definition.strip().endswith(".")
    assert metric.spec in {str(number) for number in range(1, 12)}
    assert metric.kind in ("count", "rate")


def test_voc002_every_kpis_field_is_a_metric_and_the_agreement_accepts_exactly_the_commitment_ones():
    from dashboard.sla import COUNT_METRICS, RATE_METRICS

    assert set(vocabulary.KPI_FIELDS) - {"period_start"} == set(METRIC)
    assert set(COUNT_METRICS) | set(RATE_METRICS) == {m.name for m in METRICS if m.commitment}
    assert not set(COUNT_METRICS) & set(RATE_METRICS)


def test_voc003_every_metric_is_computed_by_kpi_table():
    """A metric in the vocabulary with no metric function behind it fails here."""
    from dashboard.metrics.kpis import compute_kpis
    from dashboard.sla import parse_agreement
    from tests.factories import dataset, t
    from tests.test_shared_cache import MINIMAL_AGREEMENT

    agreement = parse_agreement(MINIMAL_AGREEMENT.replace("commitments:", "commitments:\n  - {id: first_touch, "
                                                          "team: sales, metric: response_sla_attainment, "
                                                          "window_hours: 4, target: 0.9}"))
    records = dataset([{"id": 1, "created_at": t("2026-11-02 09:00"), "mql_at": t("2026-11-02 10:00")}])
    row = compute_kpis(records, agreement, "month", dt.date(2026, 11, 1), dt.date(2026, 11, 1),
                       t("2026-11-20 12:00"))[0]
    assert set(vocabulary.KPI_FIELDS) <= set(row)
    assert (row["leads"], row["mqls"], row["sqls"]) == (1, 1, 0)


def test_voc004_stages_teams_and_roles_are_whole():
    from queries.aggregates import STAGES as IN_DATABASE

    assert IN_DATABASE == STAGES  # queries/ sits below the vocabulary and keeps its own copy
    assert STAGES == ("lead", "mql", "sal", "sql", "opportunity", "won")
    assert all(STAGE[name].label and STAGE[name].plural and STAGE[name].long_name for name in STAGES)
    assert vocabulary.COMMITMENT_TEAMS == ("marketing", "sales")
    assert all(vocabulary.TEAM[team].colour and vocabulary.TEAM[team].possessive
               for team in vocabulary.COMMITMENT_TEAMS)
    assert sorted(vocabulary.ROLE_RANK, key=vocabulary.ROLE_RANK.get) == ["wall", "viewer", "manager", "admin"]
    assert set(vocabulary.STATUS_LABELS) == set(vocabulary.STATUS_ICONS) == set(vocabulary.STATUS_COLOURS)
