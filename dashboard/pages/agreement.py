"""Agreement: the SLA file rendered for people; who agreed it and when, when it is reviewed
next, the working calendar, the shared definitions, every commitment with its target (and
its slices' targets), and every version of the agreement with what changed and who agreed it.

Read from the file at every request, so an edit to it shows on the next page load.
"""
from __future__ import annotations

import datetime as dt
import itertools

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, html

from dashboard.application import current_settings
from dashboard.components import formatting
from dashboard.components.filters import ID
from dashboard.components.labels import METRIC_DEFINITIONS, METRIC_LABELS, TEAM_LABELS
from dashboard.components.layout import metric_label, page_header, render_safely
from dashboard.metrics.calendar import parse_period_key, to_local_dates
from dashboard.sla import WEEKDAYS, Agreement, AgreementError, Change, Commitment, Version, version_changes
from dashboard.vocabulary import AGREEMENT_STAGES, COMMITMENT_TEAMS, STAGE

dash.register_page(__name__, path="/agreement", name="Agreement", title="Agreement", order=6,
                   role="viewer", shared_figures=True)

BODY = "agreement-body"
NEXT_REVIEW = "agreement-next-review"
SOURCE = "agreement-source"

STAGE_NAMES = {name: STAGE[name].long_name for name in AGREEMENT_STAGES}
COUNT_NOUNS = {"leads": "leads", "mqls": "MQLs", "sals": "SALs", "sqls": "SQLs",
               "opportunities": "opportunities", "deals_won": "won deals", "deals_lost": "lost deals"}
PER_PERIOD = {"day": "a working day", "week": "a week", "month": "a month", "quarter": "a quarter"}


def layout(**_query):
    """The page; its body is rendered from the agreement file by `update_agreement`."""
    return html.Div([
        page_header("The agreement", "The SLA between marketing and sales as its file says it: every page, "
                                     "export and command takes its definitions and targets from here."),
        html.Div(id=BODY),
    ])


def _date(day: dt.date) -> str:
    """Mon 12 Jan 2026."""
    return f"{day:%a %-d %b %Y}"


def period_name(key: str) -> str:
    """An override's period for people: 2026-07 -> 'Jul 2026', 2026-W27 -> 'week 27 of 2026'."""
    start, grain = parse_period_key(key)
    if grain == "month":
        return f"{start:%b %Y}"
    if grain == "week":
        year, week = key.split("-W")
        return f"week {int(week)} of {year}"
    if grain == "quarter":
        return f"{key[5:]} {key[:4]}"
    return f"{start:%-d %b %Y}"


def _amount(commitment: Commitment, value: float, currency: str) -> str:
    """A target value in its metric's unit: '400', '€250,000' or '90 %'."""
    if not commitment.is_count:
        return formatting.rate(value, decimals=0 if round(value * 100, 6).is_integer() else 1)
    if commitment.metric == "revenue_won":
        return formatting.CURRENCY_SIGNS.get(currency, currency + " ") + formatting.count(value)
    return formatting.count(value, decimals=0 if float(value).is_integer() else 1)


def target_text(commitment: Commitment, currency: str, working_hours: bool = True) -> str:
    """A commitment's target in words: '400 MQLs a month; 200 in Jul 2026',
    '€250,000 of won revenue a month', '90 % within 4 working hours'; overrides by date."""
    return _target_words(commitment, commitment, currency, working_hours)


def slice_lines(commitment: Commitment, currency: str) -> list[str]:
    """Each slice target in words: 'segment Enterprise: 100 MQLs a month; 50 in Jul 2026'."""
    return [f"{dimension} {value}: {_target_words(commitment, target, currency, with_window=False)}"
            for dimension, targets in commitment.slices.items() for value, target in targets.items()]


def _target_words(commitment: Commitment, target, currency: str, working_hours: bool = True,
                  with_window: bool = True) -> str:
    """The words of one target (`target` is the commitment itself or one of its slices)."""
    value = _amount(commitment, target.target_value, currency)
    if commitment.is_count:
        noun = ("of won revenue" if commitment.metric == "revenue_won"
                else COUNT_NOUNS.get(commitment.metric, commitment.metric))
        text = f"{value} {noun} {PER_PERIOD[target.target_unit]}"
    else:
        text = value
        if commitment.window_hours and with_window:
            hours = "working hours" if working_hours else "hours"
            text += f" within {commitment.window_hours:g} {hours}"
    if target.overrides:
        exceptions = ", ".join(f"{_amount(commitment, v, currency)} in {period_name(k)}"
                               for k, v in sorted(target.overrides.items(),
                                                  key=lambda item: (parse_period_key(item[0])[0], item[0])))
        text += f"; {exceptions}"
    return text


def working_days_text(days: list[str]) -> str:
    """Working weekdays compactly: ['mon'..'fri'] -> 'Mon–Fri', ['mon', 'wed'] -> 'Mon, Wed'."""
    numbers = sorted(WEEKDAYS.index(d) for d in days)
    runs = []
    for _, run in itertools.groupby(enumerate(numbers), key=lambda pair: pair[1] - pair[0]):
        run = [n for _, n in run]
        first, last = WEEKDAYS[run[0]].title(), WEEKDAYS[run[-1]].title()
        runs.append(first if len(run) == 1 else f"{first}, {last}" if len(run) == 2 else f"{first}–{last}")
    return ", ".join(runs)


def holidays_by_year(holidays: list[dt.date]) -> list[str]:
    """Holidays one line a year: '2026: 1 Jan, 6 Jan, 3 Apr ...'."""
    days = sorted(set(holidays))
    return [f"{year}: " + ", ".join(f"{d:%-d %b}" for d in group)
            for year, group in itertools.groupby(days, key=lambda d: d.year)]


def holiday_lines(agreement: Agreement) -> list[str]:
    """The agreement's holidays as the page shows them: a country's public holidays first (with
    its subdivision's), then the listed days one line a year ('plus 2026: 24 Dec' after a country)."""
    lines = holidays_by_year(agreement.holiday_dates)
    country = agreement.holiday_country
    if country is None:
        return lines
    within = f", with those of its subdivision {country.subdivision}" if country.subdivision else ""
    return [f"The public holidays of {country.country}{within}", *(f"plus {line}" for line in lines)]


def _facts(pairs) -> html.Dl:
    """Label-value pairs as a definition list; a third item is the value's component id."""
    return html.Dl([part for label, value, *component_id in pairs
                    for part in (html.Dt(label), html.Dd(value, **({"id": component_id[0]} if component_id else {})))],
                   className="agreement-facts")


def _commitment(commitment: Commitment, agreement: Agreement) -> html.Div:
    """One commitment's card in its team's colour: metric, target in words, description, definition."""
    team = commitment.team
    return html.Div([
        html.Div([
            html.Span(TEAM_LABELS[team], className=f"team-chip {team}"),
            metric_label(commitment.metric, METRIC_LABELS.get(commitment.metric, commitment.metric)),
            html.Span(f"  {commitment.id}", className="commitment-id"),
        ], className="commitment-title"),
        html.Div(target_text(commitment, agreement.currency, agreement.working_hours is not None),
                 className="commitment-target"),
        *([html.Div([html.Span("Targets per slice: ", className="fw-semibold"),
                     html.Ul([html.Li(line) for line in slice_lines(commitment, agreement.currency)])],
                    className="commitment-slices", id=f"agreement-{commitment.id}-slices")]
          if commitment.slices else []),
        html.Div(commitment.description or "", className="mb-1"),
        html.Div([html.Span("How it is measured: ", className="fw-semibold"),
                  METRIC_DEFINITIONS.get(commitment.metric, "")], className="commitment-desc"),
    ], className=f"commitment {team}", id=f"agreement-{commitment.id}")


FIELD_NAMES = {"target": "target", "overrides": "overrides", "slices": "slice targets", "window_hours": "window",
               "description": "description", "team": "team", "metric": "metric"}


def change_text(change: Change, agreement: Agreement) -> str:
    """One change between versions in words: 'Added sql_volume: 120 SQLs a month.',
    'Changed mql_volume (target): 500 MQLs a month → 400 MQLs a month.'"""
    currency, hours = agreement.currency, agreement.working_hours is not None
    if change.kind == "added":
        return f"Added {change.subject}: {target_text(change.after, currency, hours)}."
    if change.kind == "removed":
        return f"Removed {change.subject} (was {target_text(change.before, currency, hours)})."
    if change.kind == "definition":
        return f"Definition of {STAGE_NAMES[change.subject]} changed: “{change.before}” → “{change.after}”."
    fields = ", ".join(FIELD_NAMES.get(field, field) for field in change.fields)
    before, after = target_text(change.before, currency, hours), target_text(change.after, currency, hours)
    text = f"Changed {change.subject} ({fields})"
    if before != after:
        text += f": {before} → {after}"
    if "slices" in change.fields:
        text += f"; slices now: {'; '.join(slice_lines(change.after, currency)) or 'none'}"
    return text + "."


def version_card(version: Version, earlier: Version | None, agreement: Agreement, today: dt.date) -> html.Div:
    """One version: when it was in force, who agreed it when, and what changed from the one before."""
    since = _date(version.effective_from) if version.effective_from else "the start"
    until = f" to {_date(version.until - dt.timedelta(days=1))}" if version.until else ""
    in_force = version.effective_from is None or version.effective_from <= today
    state = ("in force now" if version.is_current and in_force else "agreed, in force from its first day"
             if version.is_current else "earlier version")
    if earlier is None:
        changes = [html.Li("The first version.")]
    else:
        changes = [html.Li(change_text(c, agreement)) for c in version_changes(earlier, version)]
        changes = changes or [html.Li("No change to the targets or definitions.")]
    commitments = html.Details([
        html.Summary(f"Its {len(version.commitments)} commitment{'' if len(version.commitments) == 1 else 's'}"),
        html.Ul([html.Li(f"{c.id} ({TEAM_LABELS[c.team]}): "
                         f"{target_text(c, agreement.currency, agreement.working_hours is not None)}")
                 for c in version.commitments]),
    ])
    return html.Div([
        html.Div([html.Span(f"Version {version.number}", className="fw-bold"),
                  f" — from {since}{until} ({state})"], className="version-title"),
        html.Div(f"Agreed on {_date(version.agreed_on)} by {', '.join(version.agreed_by)}", className="text-muted"),
        html.Ul(changes, className="version-changes mb-1"),
        commitments,
    ], className="version mb-3", id=f"agreement-version-{version.number}")


def versions_section(agreement: Agreement, today: dt.date) -> html.Div:
    """Every version, newest first, each with what changed from the one before it."""
    versions = agreement.all_versions
    cards = [version_card(v, versions[i - 1] if i else None, agreement, today) for i, v in enumerate(versions)]
    return html.Div([
        html.H3("Versions"),
        html.P("Each day is scored by the version in force that day; a rate by the one in force on the "
               "period's last day. Days before the first version take the first.", className="text-muted"),
        *reversed(cards),
    ], className="section", id="agreement-versions")


def render_agreement(agreement: Agreement, path, today: dt.date) -> html.Div:
    """The agreement as sections: who and when, calendar, definitions, commitments."""
    review = agreement.next_review(today)
    hours = agreement.working_hours
    working_hours = f"{hours.start:%H:%M}–{hours.end:%H:%M}" if hours else "not set: response times count clock hours"
    holidays = holiday_lines(agreement)
    other = []
    if agreement.exchange_rates:
        other.append(("Exchange rates", ", ".join(f"1 {c} = {r:g} {agreement.currency}"
                                                  for c, r in sorted(agreement.exchange_rates.items()))))
    if agreement.stage_probabilities:
        other.append(("Deal stage win odds", ", ".join(f"{s} {formatting.rate(p, 0)}"
                                                       for s, p in agreement.stage_probabilities.items())))
    if agreement.stuck_after_days:
        other.append(("Stuck after", ", ".join(f"{s.upper() if s != 'opportunity' else s} {d} days"
                                               for s, d in agreement.stuck_after_days.items())))
    summary = html.Div([
        html.H2(agreement.name, className="h4 fw-bold"),
        _facts([
            ("Agreed by", " and ".join(agreement.agreed_by) if len(agreement.agreed_by) < 3
             else ", ".join(agreement.agreed_by[:-1]) + " and " + agreement.agreed_by[-1]),
            ("Agreed on", _date(agreement.agreed_on)),
            *([("Version", f"{len(agreement.all_versions)} of {len(agreement.all_versions)}, in force from "
                           f"{_date(agreement.effective_from)}", "agreement-version")]
              if agreement.effective_from else []),
            ("Review", f"{agreement.review.capitalize()}; next review {_date(review)} "
                       f"(in {formatting.count((review - today).days)} days)", NEXT_REVIEW),
            ("Time zone", agreement.timezone),
            ("Currency", agreement.currency),
            ("Working days", working_days_text(agreement.working_days)),
            ("Working hours", working_hours),
            ("Holidays", [html.Div(line) for line in holidays] or "none"),
            *other,
            ("File", html.Span(str(path), className="source-path"), SOURCE),
        ]),
    ], className="section")
    definitions = html.Div([
        html.H3("Shared definitions"),
        html.Dl([part for stage in ("lead", "mql", "sal", "sql", "opportunity")
                 for part in (html.Dt(STAGE_NAMES[stage]), html.Dd(agreement.definitions[stage]))],
                className="definitions mb-0"),
    ], className="section")
    columns = [dbc.Col(html.Div([
        html.Div(f"{TEAM_LABELS[team]} commits to", className=f"team-heading {team}"),
        *[_commitment(c, agreement) for c in agreement.commitments if c.team == team],
    ], className=f"team-column {team}"), lg=6, className="mb-3") for team in COMMITMENT_TEAMS]
    return html.Div([
        dbc.Row([dbc.Col(summary, xl=5), dbc.Col(definitions, xl=7)]),
        dbc.Row(columns),
        versions_section(agreement, today),
    ])


@callback(Output(BODY, "children"), Input(ID.STATE, "data"))
@render_safely
def update_agreement(_state):
    """Read the agreement file now and render it."""
    settings = current_settings()
    try:
        agreement = settings.agreement()
    except AgreementError as error:
        return dbc.Alert([html.H4("The agreement file is refused"), html.P(str(error))], color="danger")
    today = to_local_dates(pd.Series([settings.now()]), agreement.tz).iloc[0].date()
    return render_agreement(agreement, settings.sla_path, today)
