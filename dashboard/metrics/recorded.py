"""The reason a rate is null when its source does not record what decides it (SPEC "What
bad or odd data gets"): the rules are in queries/recorded.py, the answer of a dataset is
`Dataset.not_recorded` (the unfiltered records' answer, carried into a filtered cut)."""
from __future__ import annotations

from queries.recorded import RATES

NOT_RECORDED = "not recorded"


def reasons(unrecorded) -> dict[str, str]:
    """The kpis `notes`: each rate the source does not record, with its reason, in kpis order."""
    return {rate: NOT_RECORDED for rate in RATES if rate in unrecorded}

