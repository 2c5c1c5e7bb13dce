"""The team's language on screen: names, one-line definitions, colours and status marks."""
from __future__ import annotations

from dashboard.vocabulary import METRICS, STATUS_COLOURS, STATUS_ICONS, STATUS_LABELS, TEAMS_OF_COMPANY  # noqa: F401

METRIC_LABELS = {metric.name: metric.label for metric in METRICS}
# One hover away on every page; the numbers refer to SPEC's metric definitions.
METRIC_DEFINITIONS = {metric.name: metric.definition for metric in METRICS}
TEAM_LABELS = {team.name: team.label for team in TEAMS_OF_COMPANY if team.commits}
TEAM_COLOURS = {team.name: team.colour for team in TEAMS_OF_COMPANY if team.colour}
TARGET_COLOUR = "#444444"

