"""A tiny database whose text fields attack the pages: markup and spreadsheet formulas.

Every page must show these values as the text they are (no markup rendered, no script run).
"""
from __future__ import annotations

import datetime as dt

import pytest

SCRIPT = "<script>alert(1)</script>"
IMAGE = '<img src=x onerror="alert(2)">'
FORMULA = '=HYPERLINK("http://attacker.example","click")'
PLUS = "+1+cmd|' /C calc'!A0"
UTC = dt.timezone.utc


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
