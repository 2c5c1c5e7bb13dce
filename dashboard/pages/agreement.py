"""Agreement: the SLA file rendered for people; who agreed it and when, when it is reviewed
next, the working calendar, the shared definitions and every commitment with its target.

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
from dashboard.sla import WEEKDAYS, Agreement, AgreementError, Commitment
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
    value = _amount(commitment, commitment.target_value, currency)
    if commitment.is_count:
        noun = ("of won revenue" if commitment.metric == "revenue_won"
                else COUNT_NOUNS.get(commitment.metric, commitment.metric))
        text = f"{value} {noun} {PER_PERIOD[commitment.target_unit]}"
    else:
        text = value
        if commitment.window_hours:
            hours = "working hours" if working_hours else "hours"
            text += f" within {commitment.window_hours:g} {hours}"
    if commitment.overrides:
        exceptions = ", ".join(f"{_amount(commitment, v, currency)} in {period_name(k)}"
                               for k, v in sorted(commitment.overrides.items(),
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
        html.Div(commitment.description or "", className="mb-1"),
        html.Div([html.Span("How it is measured: ", className="fw-semibold"),
                  METRIC_DEFINITIONS.get(commitment.metric, "")], className="commitment-desc"),
    ], className=f"commitment {team}", id=f"agreement-{commitment.id}")


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
