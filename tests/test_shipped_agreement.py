"""data/sla.yaml, the agreement the teams edit at each review: valid, and holding what SPEC
requires. Its targets are the teams' to change, so no value of theirs is asserted here; every
other test runs on the frozen copy in tests/fixtures/agreement.yaml (tests/agreements.py)."""
from __future__ import annotations

import pytest

from dashboard.settings import Settings
from dashboard.sla import agreement_path, load_agreement
from tests.agreements import AGREEMENT_PATH, SHIPPED_AGREEMENT_PATH, SHIPPED_GUARD


def test_sa001_the_shipped_agreement_is_valid_and_holds_the_commitments_spec_requires(shipped_agreement_path):
    """SPEC "The SLA agreement file": the five stage definitions, and a commitment each for MQL
    volume, MQL acceptance, first touch within a window of working hours, and won revenue."""
    agreement = load_agreement(shipped_agreement_path)
    assert set(agreement.definitions) == {"lead", "mql", "sal", "sql", "opportunity"}
    assert all(sentence.strip() for sentence in agreement.definitions.values())
    by_metric = {commitment.metric: commitment for commitment in agreement.commitments}
    assert {"mqls", "acceptance_rate", "response_sla_attainment", "revenue_won"} <= set(by_metric)
    assert by_metric["mqls"].team == "marketing" and by_metric["mqls"].target_value > 0
    assert by_metric["acceptance_rate"].team == "marketing" and 0 < by_metric["acceptance_rate"].target_value <= 1
    first_touch = by_metric["response_sla_attainment"]
    assert first_touch.team == "sales" and 0 < first_touch.target_value <= 1
    assert agreement.response_window_hours == first_touch.window_hours > 0
    assert by_metric["revenue_won"].team == "sales" and by_metric["revenue_won"].target_value > 0


def test_sa002_any_other_test_that_opens_the_shipped_agreement_fails(tmp_path):
    """Outside the test above, conftest refuses data/sla.yaml by any path that leads to it, and
    remembers each refusal, so that a test which caught the error fails at its end all the same."""
    link = tmp_path / "linked.yaml"
    link.symlink_to(SHIPPED_AGREEMENT_PATH)
    for path in (SHIPPED_AGREEMENT_PATH, str(SHIPPED_AGREEMENT_PATH), link):
        with pytest.raises(RuntimeError, match="a test opened the shipped agreement"):
            load_agreement(path)
    assert SHIPPED_GUARD.refused == [str(SHIPPED_AGREEMENT_PATH), str(SHIPPED_AGREEMENT_PATH), str(link)]
    SHIPPED_GUARD.refused.clear()  # these were meant; any other would fail this test at teardown


def test_sa003_the_default_agreement_of_every_test_is_the_frozen_copy(tmp_path):
    """SLA_PATH is set by conftest: commands, apps and settings built without a path read the copy."""
    assert agreement_path() == AGREEMENT_PATH
    assert Settings().sla_path == AGREEMENT_PATH
    assert load_agreement().commitment("mql_volume").target_value == 400
    copy = tmp_path / "sla.yaml"  # any other file of that name opens as usual
    copy.write_text(AGREEMENT_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_agreement(copy).commitment("first_touch").window_hours == 4
