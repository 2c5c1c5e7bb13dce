"""The leads page's query arguments that narrow its grid to the records behind a number.

`/leads?stage=mql`, `?breach=1`, `?lead=<id>`, `?rule=<data-quality rule>`: read tolerantly
(a value it cannot read is ignored), kept in the page's store as a dict.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from dashboard.metrics.stages import STAGES


@dataclass(frozen=True)
class LeadQuery:
    """The query arguments that narrow the grid to the records behind a number."""

    stage: str | None = None
    breach: bool = False
    lead: int | None = None
    rule: str | None = None

    @classmethod
    def from_query(cls, query: dict | None) -> LeadQuery:
        """From the URL's query arguments; values it cannot read are ignored."""
        def first(name) -> str:
            value = (query or {}).get(name)
            value = value[0] if isinstance(value, (list, tuple)) and value else value
            return str(value).strip() if value is not None else ""

        stage = first("stage").lower()
        lead = first("lead")
        return cls(
            stage=stage if stage in STAGES else None,
            breach=first("breach").lower() in ("1", "true", "yes"),
            lead=int(lead) if lead.isdigit() else None,
            rule=first("rule") or None,
        )

    @classmethod
    def from_dict(cls, data: dict | None) -> LeadQuery:
        return cls.from_query({k: v for k, v in (data or {}).items() if v not in (None, False)})

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def is_empty(self) -> bool:
        return self == LeadQuery()
