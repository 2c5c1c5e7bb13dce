"""The agreement page: the SLA file in words, read again at every request."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.sla import Commitment, load_agreement
from tests.agreements import AGREEMENT_PATH, agreement_file
from tests.pages.tree import find, page, texts


@pytest.fixture
def agreement_page(empty_settings):
    """The page module of an app (the agreement needs no data)."""
    from dashboard.application import create_app

    create_app(empty_settings)
    return page("agreement")


def _commitment(**fields) -> Commitment:
    return Commitment(id="c", team="sales", **fields)


@pytest.mark.parametrize("fields, expected", [
    (dict(metric="mqls", target={"month": 400}, overrides={"2026-07": 200, "2025-12": 300}),
     "400 MQLs a month; 300 in Dec 2025, 200 in Jul 2026"),
    (dict(metric="sqls", target={"week": 30}, overrides={"2026-W27": 10, "2026-Q3": 300, "2026-12-24": 0}),
     "30 SQLs a week; 10 in week 27 of 2026, 300 in Q3 2026, 0 in 24 Dec 2026"),
    (dict(metric="deals_won", target={"quarter": 84}), "84 won deals a quarter"),
    (dict(metric="leads", target={"day": 12.5}), "12.5 leads a working day"),
    (dict(metric="revenue_won", target={"month": 250000}, overrides={"2026-07": 125000}),
     "€250,000 of won revenue a month; €125,000 in Jul 2026"),
    (dict(metric="response_sla_attainment", target=0.9, window_hours=4), "90 % within 4 working hours"),
    (dict(metric="acceptance_rate", target=0.875, overrides={"2026-Q3": 0.7}), "87.5 %; 70 % in Q3 2026"),
])
def test_targets_read_as_sentences(agreement_page, fields, expected):
    assert agreement_page.target_text(_commitment(**fields), "EUR") == expected


def test_a_window_without_working_hours_is_in_clock_hours(agreement_page):
    commitment = _commitment(metric="response_sla_attainment", target=0.95, window_hours=1.5)
    assert agreement_page.target_text(commitment, "EUR", working_hours=False) == "95 % within 1.5 hours"


@pytest.mark.parametrize("days, expected", [
    (["mon", "tue", "wed", "thu", "fri"], "Mon–Fri"),
    (["mon", "wed"], "Mon, Wed"),
    (["fri", "mon", "tue", "thu", "sat"], "Mon, Tue, Thu–Sat"),
    (["sun"], "Sun"),
])
def test_working_days_compactly(agreement_page, days, expected):
    assert agreement_page.working_days_text(days) == expected


def test_holidays_one_line_a_year(agreement_page):
    days = [dt.date(2027, 1, 1), dt.date(2026, 12, 24), dt.date(2026, 12, 25), dt.date(2026, 12, 24)]
    assert agreement_page.holidays_by_year(days) == ["2026: 24 Dec, 25 Dec", "2027: 1 Jan"]


def test_holidays_of_a_country_come_first_then_the_extra_days(agreement_page):
    from tests.test_holidays import agreement

    lines = agreement_page.holiday_lines
    assert lines(agreement("{country: FI, extra: [2026-12-31, 2027-01-02]}")) == [
        "The public holidays of FI", "plus 2026: 31 Dec", "plus 2027: 2 Jan"]
    assert lines(agreement('{country: FI, subdivision: "01"}')) == [
        "The public holidays of FI, with those of its subdivision 01"]
    assert lines(agreement("[2026-12-24, 2026-12-25, 2027-01-01]")) == ["2026: 24 Dec, 25 Dec", "2027: 1 Jan"]


def test_the_page_shows_the_agreement_and_its_next_review(demo_app, demo_settings):
    """As of Fri 20 Nov 2026, the quarterly review of an agreement made on 12 Jan 2026 is next
    on 12 Jan 2027 (after 12 Apr, 12 Jul and 12 Oct), 53 days away."""
    agreement = demo_settings.agreement()
    agreement_page = page("agreement")
    with demo_app.server.test_request_context():
        body = agreement_page.update_agreement(None)
    assert texts(find(body, agreement_page.NEXT_REVIEW)) == ["Quarterly; next review Tue 12 Jan 2027 (in 53 days)"]
    assert texts(find(body, agreement_page.SOURCE)) == [str(AGREEMENT_PATH)]
    shown = texts(body)
    for words in ("Sales and marketing SLA 2026", "Head of Marketing and Head of Sales", "Mon 12 Jan 2026",
                  "Europe/Helsinki", "Mon–Fri", "08:00–16:00", "2026: 1 Jan, 6 Jan, 3 Apr, 6 Apr, 1 May, 14 May, "
                  "19 Jun, 24 Dec, 25 Dec", *agreement.definitions.values()):
        assert words in shown, words
    expected_targets = {
        "mql_volume": "400 MQLs a month; 200 in Jul 2025, 300 in Dec 2025, 200 in Jul 2026, 300 in Dec 2026",
        "mql_acceptance": "80 %",
        "first_touch": "90 % within 4 working hours",
        "sql_volume": "120 SQLs a month; 60 in Jul 2025, 60 in Jul 2026",
        "deals_won": "28 won deals a month",
        "won_revenue": "€250,000 of won revenue a month",
    }
    from dashboard.components.labels import METRIC_DEFINITIONS

    for commitment in agreement.commitments:
        card = find(body, f"agreement-{commitment.id}")
        assert card is not None, commitment.id
        card_texts = texts(card)
        assert expected_targets[commitment.id] in card_texts
        assert METRIC_DEFINITIONS[commitment.metric] in card_texts
        assert f"  {commitment.id}" in card_texts
        assert commitment.team in card.className


def test_editing_the_file_changes_the_page(tmp_path, empty_settings):
    """The page reads the file at each request; a broken edit keeps the last good version on
    the page, and the app's banner shows the line and the reason."""
    from dataclasses import replace

    from dashboard.application import agreement_warning, create_app

    path = agreement_file(tmp_path)
    settings = replace(empty_settings, sla_path=path)
    app = create_app(settings)
    agreement_page = page("agreement")
    with app.server.test_request_context():
        before = texts(agreement_page.update_agreement(None))
        text = path.read_text().replace("target: {month: 400}", "target: {month: 450}").replace(
            "review: quarterly", "review: monthly")
        path.write_text(text)
        after = agreement_page.update_agreement(None)
        path.write_text(text.replace("review: monthly", "review: weekly"))
        broken = texts(agreement_page.update_agreement(None))
        banner, hidden = agreement_warning(settings)
    assert any(t.startswith("400 MQLs a month") for t in before)
    assert any(t.startswith("450 MQLs a month") for t in texts(after))
    assert texts(find(after, agreement_page.NEXT_REVIEW)) == ["Monthly; next review Sat 12 Dec 2026 (in 22 days)"]
    assert any(t.startswith("450 MQLs a month") for t in broken)  # the last good version stays in force
    line = next(n for n, row in enumerate(path.read_text().splitlines(), 1) if row.startswith("review:"))
    assert not hidden and f"line {line}: review:" in banner, banner
    assert load_agreement(AGREEMENT_PATH).commitment("mql_volume").target_value == 400  # the frozen file untouched
