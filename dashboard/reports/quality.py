"""The Data quality page's figures: every rule of the `check` command's report with its count
and examples, each example with the lead that shows it, over every record whatever as_of and
the filters say (SPEC "What bad or odd data gets")."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.metrics.drilldown import example_links, quality_findings, quality_summary
from dashboard.metrics.quality import Finding
from dashboard.reports.context import ReportContext


def findings_of(context: ReportContext, unresolved: pd.DataFrame) -> list[Finding]:
    """Every rule's finding over the context's records (a context on every record for the
    page), with the effective stages of all of them: the settled frames, which do not depend
    on as_of and which the rules read the same as the records' own."""
    return quality_findings(context.dataset, unresolved, context.agreement, stages=context.settled_frames.stages)


@dataclass(frozen=True)
class QualityReport:
    is_empty: bool
    findings: tuple[Finding, ...] = ()  # every rule, clean ones included, in the report's order
    summary: dict | None = None  # rules, rules with findings, findings, distinct records
    links: dict | None = None  # rule -> its examples as (text, lead id or None)


def data_quality_report(context: ReportContext, unresolved: pd.DataFrame) -> QualityReport:
    """The report over the context's records and the references no loaded record has."""
    if context.is_empty:
        return QualityReport(True)
    findings = findings_of(context, unresolved)
    deals = context.dataset.deals
    return QualityReport(
        False, tuple(findings), quality_summary(findings, unresolved),
        {f.rule: example_links(f, deals, unresolved) for f in findings if f.count},
    )
