"""Page building blocks shared by every page: headings, empty and error states, definitions."""
from __future__ import annotations

import logging
import traceback
from functools import wraps

import dash_bootstrap_components as dbc
import flask
from dash import html
from sqlalchemy.exc import SQLAlchemyError

from dashboard.components.labels import (
    METRIC_DEFINITIONS,
    METRIC_LABELS,
    STATUS_ICONS,
    STATUS_LABELS,
)
from dashboard.vocabulary import FINAL_STATUSES, STATUSES

log = logging.getLogger(__name__)


def page_header(title: str, subtitle: str) -> html.Div:
    return html.Div([html.H1(title, className="page-title"), html.Div(subtitle, className="page-subtitle")])


def empty_state(title: str, body: str) -> html.Div:
    """What a page shows when there is nothing to show, saying what to load."""
    return html.Div([html.H2(title), html.P(body)], className="empty-state")


NO_DATA = (
    "No data loaded yet",
    "Load your CRM records with `python app.py import TABLE FILE.csv` (owners, campaigns, contacts, "
    "leads, deals, activities), or demo data with `python app.py demo`.",
)


def status_badge(status: str | None, note: str | None = None) -> html.Span:
    """A status as colour, icon and word (readable without colour); a finished period's
    final result (met, missed) framed so it does not read as a forecast; `note` (a slice
    without a target) in place of "no data"."""
    status = status if isinstance(status, str) else None  # a frame's missing status is NaN
    if status is None and isinstance(note, str) and note:
        return html.Span(f"– {note[0].upper()}{note[1:]}", className="status none no-target")
    css = status if status in STATUSES else "none"
    final = " final" if status in FINAL_STATUSES else ""
    return html.Span(f"{STATUS_ICONS[status]} {STATUS_LABELS[status]}", className=f"status {css}{final}",
                     title="Final result of the finished period" if final else None)


def metric_label(metric: str, text: str | None = None) -> html.Span:
    """A metric's name with its definition one hover away."""
    return html.Span(text or METRIC_LABELS.get(metric, metric), title=METRIC_DEFINITIONS.get(metric, ""),
                     className="definition")


def mark_not_cacheable() -> None:
    """Tell the figures cache that this answer is a fault, not figures (never kept)."""
    if flask.has_request_context():
        flask.g.not_cacheable = True


def render_safely(build):
    """Wrap a page-rendering function: a database or data fault becomes a readable message,
    never a Python error on the page."""
    @wraps(build)
    def wrapper(*args, **kwargs):
        try:
            return build(*args, **kwargs)
        except SQLAlchemyError as error:
            mark_not_cacheable()
            log.warning("database unavailable: %s", error.__class__.__name__)
            return dbc.Alert([html.H4("The database cannot be reached"),
                              html.P("The figures will come back by themselves when it is available again. "
                                     f"({error.__class__.__name__})")], color="warning")
        except Exception:  # noqa: BLE001 - the page must stay up; the log keeps the details
            mark_not_cacheable()
            log.error("page failed to render:\n%s", traceback.format_exc())
            return dbc.Alert([html.H4("This view could not be computed"),
                              html.P("The error is in the server log. Other pages still work.")], color="danger")
    return wrapper
