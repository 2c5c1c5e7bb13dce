"""Tiny databases whose text fields attack the pages and exports: markup and spreadsheet
formulas (`hostile_settings`); names as long as the columns allow and odd Unicode (`odd_settings`).

Every page and export must show these values as the text they are (no markup rendered, no
script run, no formula evaluated, nothing cut into the layout).
"""
from __future__ import annotations

import datetime as dt

import pytest

SCRIPT = "<script>alert(1)</script>"
IMAGE = '<img src=x onerror="alert(2)">'
FORMULA = '=HYPERLINK("http://attacker.example","click")'
PLUS = "+1+cmd|' /C calc'!A0"
UTC = dt.timezone.utc
RTL = "Zoë \u202eevil.exe\u202c O\u200d\u200dwner"
LONG_CAMPAIGN = ("Spring " + "Ω" * 280 + SCRIPT)[:300]
SOURCE = ("😀🚀 ﷽ e\u0301\u0301\u0301 " + IMAGE)[:100]


def _at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture(scope="session")
def hostile_settings(tmp_path_factory):
    """Settings of a dashboard on two leads named and described with hostile text."""
    from sqlalchemy import insert

    from dashboard.settings import Settings
    from queries.db import init_db
    from queries.schema import Activity, Campaign, Contact, Deal, Lead, Owner
    from tests.demo_fixture import AS_OF

    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    engine = init_db(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(insert(Owner), [{"id": 1, "external_id": "O1", "name": IMAGE, "team": "sdr",
                                            "active": True}])
        connection.execute(insert(Campaign), [{"id": 1, "external_id": "C1", "name": FORMULA, "channel": "email"}])
        connection.execute(insert(Contact), [{"id": 1, "external_id": "P1", "name": SCRIPT, "email": FORMULA,
                                              "company": PLUS, "segment": "SMB"}])
        connection.execute(insert(Lead), [
            {"id": 1, "external_id": SCRIPT, "contact_id": 1, "created_at": _at(2, 9), "source": FORMULA,
             "campaign_id": 1, "segment": "SMB", "owner_id": 1, "mql_at": _at(2, 10), "disqualified_at": _at(3, 10),
             "disqualified_reason": IMAGE},
            {"id": 2, "external_id": FORMULA, "contact_id": 1, "created_at": _at(4, 9), "source": "email",
             "campaign_id": None, "segment": "SMB", "owner_id": 1, "mql_at": None, "disqualified_at": None,
             "disqualified_reason": None},
        ])
        connection.execute(insert(Deal), [{"id": 1, "external_id": IMAGE, "lead_id": None, "name": SCRIPT,
                                           "amount": 100, "currency": "EUR", "created_at": _at(5, 9)}])
        connection.execute(insert(Activity), [{"id": 1, "external_id": "A1", "lead_id": 1, "owner_id": 1,
                                               "team": "sales", "type": "call", "detail": SCRIPT,
                                               "occurred_at": _at(2, 11)}])
    return Settings(database_url=f"sqlite:///{path}", as_of=AS_OF)


@pytest.fixture(scope="session")
def odd_settings(tmp_path_factory):
    """Thirty leads of this month, each an MQL nobody touched (open breaches of the odd owner),
    from a campaign with a 300-character name and a source of emoji and markup."""
    from sqlalchemy import insert

    from dashboard.settings import Settings
    from queries.db import init_db
    from queries.schema import Campaign, Lead, Owner
    from tests.demo_fixture import AS_OF

    path = tmp_path_factory.mktemp("odd") / "odd.db"
    engine = init_db(f"sqlite:///{path}")
    start = dt.datetime(2026, 11, 2, 8, tzinfo=dt.timezone.utc)
    with engine.begin() as connection:
        connection.execute(insert(Owner), [{"id": 1, "external_id": "O1", "name": RTL, "team": "sdr", "active": True},
                                           {"id": 2, "external_id": "O2", "name": IMAGE, "team": "sales", "active": True}])
        connection.execute(insert(Campaign), [{"id": 1, "external_id": "C1", "name": LONG_CAMPAIGN, "channel": SOURCE,
                                               "cost": 1000, "currency": "EUR", "starts_on": dt.date(2026, 11, 1)}])
        connection.execute(insert(Lead), [
            {"id": i, "external_id": f"{FORMULA}-{i}" if i % 2 else f"{SCRIPT}-{i}", "created_at": start + dt.timedelta(hours=i),
             "source": SOURCE, "campaign_id": 1, "segment": "🚀 Enterprise", "owner_id": 1 + i % 2,
             "mql_at": start + dt.timedelta(hours=i, minutes=5), "updated_at": start}
            for i in range(1, 31)])
    return Settings(database_url=f"sqlite:///{path}", as_of=AS_OF)
