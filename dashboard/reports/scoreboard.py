"""The scoreboard's figures: every commitment for today, this week, month and quarter, last
week's and last month's results, and the previous period at the same point (SPEC 9)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.metrics.scoreboard import scoreboard
from dashboard.reports.context import ReportContext
from dashboard.sla import Agreement


@dataclass(frozen=True)
class ScoreboardReport:
    board: pd.DataFrame  # one row per horizon and commitment (metrics.scoreboard)
    agreement: Agreement
    as_of: pd.Timestamp
    is_empty: bool
    slice_note: str | None = None  # a filtered view: scored against its slice's targets, or none
    not_recorded: frozenset[str] = frozenset()  # rates the source does not record: "not recorded", not "–"


SLICE_NOTE = ("Filtered view: each commitment is scored against its target for this slice; "
              "one without says \"no target for this slice\", never the company's target.")


def scoreboard_report(context: ReportContext) -> ScoreboardReport:
    """The board for the context's records and instant."""
    if context.is_empty:
        return ScoreboardReport(pd.DataFrame(), context.agreement, context.as_of, True)
    board = scoreboard(context.dataset, context.agreement, context.as_of, shared=context.settled_frames,
                       view=context.view)
    return ScoreboardReport(board, context.agreement, context.as_of, False,
                            None if context.view.is_company else SLICE_NOTE, context.dataset.not_recorded)
