"""The agreement the tests run on: a frozen copy of data/sla.yaml, and variants of it.

tests/fixtures/agreement.yaml is data/sla.yaml as it stood when the tests' expected values
were worked out by hand. The shipped file is the teams' to edit at every review, so no test
reads it except tests/test_shipped_agreement.py (conftest refuses the others, and points
SLA_PATH, the default of every command and app, at the frozen copy).
"""
from __future__ import annotations

import contextlib
import copy
import functools
import os
from pathlib import Path

import yaml

from dashboard.sla import Agreement, load_agreement

AGREEMENT_PATH = Path(__file__).resolve().parent / "fixtures" / "agreement.yaml"
SHIPPED_AGREEMENT_PATH = Path(__file__).resolve().parent.parent / "data" / "sla.yaml"


@functools.cache
def _frozen_text() -> str:
    return AGREEMENT_PATH.read_text(encoding="utf-8")


def frozen_agreement() -> Agreement:
    """The frozen agreement, validated: Mon-Fri 08:00-16:00 in Helsinki, Finnish holidays,
    400 MQLs a month (200 in July, 300 in December), 80 % acceptance, 90 % first touch within
    4 working hours, 120 SQLs, 28 won deals and EUR 250,000 won a month."""
    return load_agreement(AGREEMENT_PATH)


def agreement_text(*edits: tuple[str, str]) -> str:
    """The frozen agreement's YAML with each edit (old, new) made; `old` must occur exactly
    once, so an edit that no longer matches the fixture fails instead of changing nothing."""
    text = _frozen_text()
    for old, new in edits:
        found = text.count(old)
        if found != 1:
            raise ValueError(f"{old!r} occurs {found} times in {AGREEMENT_PATH.name}, not once")
        text = text.replace(old, new)
    return text


def agreement_mapping() -> dict:
    """The frozen agreement as the YAML mapping it is written as (a fresh copy to change)."""
    return copy.deepcopy(_frozen_mapping())


@functools.cache
def _frozen_mapping() -> dict:
    return yaml.safe_load(_frozen_text())


def agreement_file(directory: Path, *edits: tuple[str, str], name: str = "sla.yaml", **changes) -> Path:
    """A variant of the frozen agreement written to `directory/name`: text edits (old, new)
    as in `agreement_text`, which keep every other line where it was; or top-level keys
    replaced by `changes` (`review="monthly"`, `commitments=[...]`), written as YAML anew."""
    path = Path(directory) / name
    if changes:
        if edits:
            raise ValueError("give text edits or changed keys, not both")
        mapping = agreement_mapping()
        mapping.update(changes)
        path.write_text(yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True), encoding="utf-8")
    else:
        path.write_text(agreement_text(*edits), encoding="utf-8")
    return path


class ShippedAgreementGuard:
    """An audit hook (conftest installs it) that refuses every open of data/sla.yaml, by any
    path to it, outside `allowed()`, and keeps the refusals so that a test which caught the
    error still fails."""

    def __init__(self, path: Path):
        self.path = os.path.realpath(path)
        self.allowing = False
        self.refused: list[str] = []

    def audit(self, event: str, args: tuple) -> None:
        if event != "open" or self.allowing or not isinstance(args[0], (str, bytes, os.PathLike)):
            return  # not an open, the one test that may, or a file descriptor
        path = os.fsdecode(args[0])
        if path.endswith(".yaml") and os.path.realpath(path) == self.path:  # the suffix first: opens are many
            self.refused.append(path)
            raise RuntimeError(f"a test opened the shipped agreement {path}: use tests/agreements.py "
                               "(the frozen copy in tests/fixtures/agreement.yaml) instead")

    @contextlib.contextmanager
    def allowed(self):
        self.allowing = True
        try:
            yield
        finally:
            self.allowing = False


SHIPPED_GUARD = ShippedAgreementGuard(SHIPPED_AGREEMENT_PATH)
