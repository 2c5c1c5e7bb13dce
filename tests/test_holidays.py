"""The agreement's holidays naming a country (SPEC: "{country: FI, extra: [2026-12-24]}"): that
country's public holidays from the holidays package, plus the listed days, in the working-day
calendar; refused with the line when the country, subdivision or a date is not one."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.metrics.calendar import WorkCalendar
from dashboard.sla import AgreementError, parse_agreement
from tests.factories import t

AGREEMENT = """\
name: Holiday test SLA
agreed_on: 2026-01-12
agreed_by: [Head of Marketing, Head of Sales]
timezone: Europe/Helsinki
working_days: [mon, tue, wed, thu, fri]
working_hours: {start: "08:00", end: "16:00"}
holidays: HOLIDAYS
definitions:
  lead: A person who left a business e-mail address.
  mql: A lead from the ideal customer profile with buying intent.
  sal: An MQL that sales accepted.
  sql: An accepted lead with a confirmed need.
  opportunity: An SQL with a deal.
commitments:
  - id: mql_volume
    team: marketing
    metric: mqls
    target: {month: 400}
"""


def agreement(holidays: str):
    return parse_agreement(AGREEMENT.replace("HOLIDAYS", holidays), "sla.yaml")


def calendar(holidays: str) -> WorkCalendar:
    return WorkCalendar.from_agreement(agreement(holidays))


def working_days(holidays: str, start: str, end: str) -> int:
    return calendar(holidays).count_working_days(pd.Timestamp(start), pd.Timestamp(end))


# December 2026 begins on a Tuesday: 23 weekdays (1-4, 7-11, 14-18, 21-25, 28-31). Finland's
# public holidays that month: Independence Day Sun 6, Christmas Eve Thu 24, Christmas Day Fri 25,
# Boxing Day Sat 26: two of them on weekdays, so 21 working days.
@pytest.mark.parametrize("holidays, expected", [
    ("[]", 23),
    ("[2026-12-24, 2026-12-25]", 21),                       # the list form, as before
    ("{country: FI}", 21),
    ("{country: FI, extra: [2026-12-24]}", 21),             # Christmas Eve is one of Finland's already: once
    ("{country: FI, extra: [2026-12-24, 2026-12-31]}", 20),  # New Year's Eve, Thu 31, agreed on top
    ("{country: FI, extra: [2026-12-26]}", 21),             # a Saturday off changes nothing
])
def test_working_days_of_december_2026(holidays, expected):
    assert working_days(holidays, "2026-12-01", "2027-01-01") == expected


def test_a_country_covers_every_year_not_only_the_listed_ones():
    """December 2027 begins on a Wednesday: 23 weekdays (1-3, 6-10, 13-17, 20-24, 27-31);
    Independence Day falls on Monday 6 and Christmas Eve on Friday 24 (Christmas and Boxing Day
    on the weekend): 21. Midsummer Eve is the Friday of 19-25 June: 21 June in 2030."""
    assert working_days("{country: FI}", "2027-12-01", "2028-01-01") == 21
    finland = calendar("{country: FI}")
    days = pd.DatetimeIndex(["2027-12-06", "2027-12-07", "2030-06-20", "2030-06-21"])
    assert finland.is_working_day(days).tolist() == [False, True, True, False]


def test_a_subdivision_adds_its_own_holidays():
    """June 2026 begins on a Monday: 22 weekdays; Finland's Midsummer Eve is Friday 19 June (and
    Midsummer Day a Saturday): 21. Åland (subdivision 01) also keeps its Autonomy Day, Tuesday
    9 June: 20."""
    assert working_days("{country: FI}", "2026-06-01", "2026-07-01") == 21
    assert working_days('{country: FI, subdivision: "01"}', "2026-06-01", "2026-07-01") == 20
    assert working_days('{country: FI, subdivision: "01"}', "2026-06-09", "2026-06-10") == 0


def test_response_hours_skip_the_country_holidays():
    """Wed 23 Dec 2026 15:00 to Mon 28 Dec 09:00: 15-16 on the 23rd, 8-9 on the 28th; Christmas
    Eve and Day (Thu, Fri) are Finnish holidays, the weekend none of the working week."""
    finland = calendar("{country: FI}")
    hours = finland.hours_between(pd.Series([t("2026-12-23 15:00")]), pd.Series([t("2026-12-28 09:00")]))
    assert hours.iloc[0] == pytest.approx(2.0)


def test_the_agreement_says_what_it_names():
    named = agreement('{country: FI, subdivision: "01", extra: [2026-12-31]}')
    assert (named.holiday_country.country, named.holiday_country.subdivision) == ("FI", "01")
    assert named.holiday_dates == [dt.date(2026, 12, 31)]
    listed = agreement("[2026-12-24]")
    assert listed.holiday_country is None and listed.holiday_dates == [dt.date(2026, 12, 24)]


@pytest.mark.parametrize("holidays, line, reason", [
    ("{country: XX}", 7, "holidays.country: unknown country 'XX'"),
    ("{country: fi}", 7, "holidays.country: 'fi' is not a country code"),
    ("{country: Finland}", 7, "holidays.country: 'Finland' is not a country code"),
    ('{country: FI, subdivision: "99"}', 7, "holidays.subdivision: FI has no subdivision '99' (one of 01, 02,"),
    ('{country: SE, subdivision: "AB"}', 7, "holidays.subdivision: SE has no subdivision 'AB' (it has none)"),
    ("{country: FI, extra: [2026-02-30]}", 7, "not valid YAML: 2026-02-30 is not a date: day is out of range"),
    ("{country: FI, region: Uusimaa}", 7, "holidays.region: Extra inputs are not permitted"),
    ("{extra: [2026-12-24]}", 7, "holidays.country: a required field is missing"),
    ("\n  country: XX", 8, "holidays.country: unknown country 'XX'"),
    ("\n  country: FI\n  extra:\n    - 2026-12-24\n    - 2026-13-01", 11, "not valid YAML: 2026-13-01 is not a date"),
    ("\n  country: FI\n  extra:\n    - 2026-12-24\n    - 24.12.2026", 11, "holidays.extra.1: Input should be a valid date"),
    ("[2026-12-24, 2026-04-31]", 7, "not valid YAML: 2026-04-31 is not a date: day is out of range"),
    ("\n  - 2026-12-24\n  - someday", 9, "holidays.1: Input should be a valid date"),
    ("FI", 7, "holidays: Input should be a valid list"),
])
def test_a_bad_holidays_field_is_refused_with_its_line(holidays, line, reason):
    with pytest.raises(AgreementError) as refused:
        agreement(holidays)
    assert refused.value.line == line
    assert refused.value.reason.startswith(reason), refused.value.reason
    assert str(refused.value).startswith(f"sla.yaml line {line}: ")
