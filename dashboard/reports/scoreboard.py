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
    not_recorded: frozenset[str] = frozenset()  # rates the source does not record: "not recorded", not "–"


def scoreboard_report(context: ReportContext) -> ScoreboardReport:
    """The board for the context's records and instant."""
    if context.is_empty:
        return ScoreboardReport(pd.DataFrame(), context.agreement, context.as_of, True)
    board = scoreboard(context.dataset, context.agreement, context.as_of, shared=context.settled_frames)
    return ScoreboardReport(board, context.agreement, context.as_of, False, context.dataset.not_recorded)
