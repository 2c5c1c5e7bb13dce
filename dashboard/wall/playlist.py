"""The wall screen's playlist (`data/wall.yaml`, or `WALL_PATH`): which views rotate, how long
each stays, how often the figures reload. A screen's URL overrides any of it.

`load_playlist` runs when the wall page is opened; a broken file raises `PlaylistError` naming
the file and the reason. Bad values in a URL are not fatal on an unattended screen: they are
left out and listed in `Playlist.notices`, which the screen shows in its footer.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from queries.db import PROJECT_ROOT
from queries.yaml_lines import YamlSyntaxError, load_yaml

DEFAULT_PLAYLIST_PATH = PROJECT_ROOT / "data" / "wall.yaml"
VIEW_NAMES = ("meeting", "week", "month", "funnel", "breaches", "loop")
ViewName = Literal["meeting", "week", "month", "funnel", "breaches", "loop"]
MIN_SECONDS, MAX_SECONDS = 2, 3600
MIN_REFRESH, MAX_REFRESH = 1 / 60, 1440.0  # minutes: a second (tests, demos) to a day
MAX_UNKNOWN_NOTICES = 3  # the footer names this many unknown views, then counts the rest


class PlaylistError(ValueError):
    """The playlist file is unusable; says which file and why."""


class Playlist(BaseModel):
    """What one wall screen shows and how often it moves on and reloads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    views: tuple[ViewName, ...] = Field(default=VIEW_NAMES, min_length=1)
    seconds: int = Field(default=20, ge=MIN_SECONDS, le=MAX_SECONDS)
    refresh_minutes: float = Field(default=5.0, ge=MIN_REFRESH, le=MAX_REFRESH)
    notices: tuple[str, ...] = ()

    @field_validator("views")
    @classmethod
    def _once_each(cls, views):
        return tuple(dict.fromkeys(views))

    @property
    def refresh_ms(self) -> int:
        return int(round(self.refresh_minutes * 60_000))

    def with_query(self, query: dict) -> Playlist:
        """This playlist with a URL's `views`, `seconds` and `refresh` (minutes, or `30s`)."""
        changes: dict = {}
        notices = list(self.notices)
        views = _first(query.get("views"))
        if views is not None:
            names = [name.strip().lower() for name in views.split(",") if name.strip()]
            known = tuple(dict.fromkeys(name for name in names if name in VIEW_NAMES))
            unknown = [name for name in names if name not in VIEW_NAMES]
            notices += [f"unknown view {name[:40]!r} left out" for name in unknown[:MAX_UNKNOWN_NOTICES]]
            if len(unknown) > MAX_UNKNOWN_NOTICES:
                notices.append(f"and {len(unknown) - MAX_UNKNOWN_NOTICES:,} more unknown views left out")
            if known:
                changes["views"] = known
        seconds = _number(query, "seconds", MIN_SECONDS, MAX_SECONDS, notices)
        if seconds is not None:
            changes["seconds"] = int(seconds)
        refresh = _first(query.get("refresh"))
        if refresh is not None:
            text = refresh.strip().lower()
            scale = 1 / 60 if text.endswith("s") else 1.0
            minutes = _number({"refresh": text.rstrip("sm")}, "refresh", MIN_REFRESH / scale, MAX_REFRESH / scale,
                              notices)
            if minutes is not None:
                changes["refresh_minutes"] = minutes * scale
        return self.model_copy(update={**changes, "notices": tuple(notices)})


def stored_views(stored) -> tuple[str, ...]:
    """The views a screen's playlist store names (what `layout` wrote into it, posted back by every
    refresh): known views, each once. Anything else was not written by the page (a body made by hand
    asking for thousands of views): ValueError, which the callback endpoint answers with a 400."""
    views = stored.get("views") if isinstance(stored, dict) else None
    if (not isinstance(views, list) or not 1 <= len(views) <= len(VIEW_NAMES)
            or not all(isinstance(view, str) and view in VIEW_NAMES for view in views)
            or len(set(views)) != len(views)):
        raise ValueError("not a playlist this screen was given")
    return tuple(views)


def _first(value):
    """A query value as one string (Dash passes repeated keys as a list)."""
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def _number(query: dict, key: str, low: float, high: float, notices: list[str]) -> float | None:
    text = _first(query.get(key))
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        notices.append(f"{key}={text!r} is not a number; ignored")
        return None
    if not low <= value <= high:
        notices.append(f"{key}={text} is outside {low:g}..{high:g}; ignored")
        return None
    return value


def playlist_path(path: str | Path | None = None) -> Path:
    """The playlist in force: `path`, else `WALL_PATH`, else `data/wall.yaml`."""
    return Path(path or os.environ.get("WALL_PATH") or DEFAULT_PLAYLIST_PATH)


def load_playlist(path: str | Path | None = None) -> Playlist:
    """Read and validate the playlist file; the defaults when it does not exist."""
    path = playlist_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Playlist()
    except (OSError, UnicodeDecodeError) as error:
        raise PlaylistError(f"{path}: cannot be read ({error})") from error
    try:
        _node, raw = load_yaml(text)
    except YamlSyntaxError as error:
        raise PlaylistError(f"{path}: not YAML ({error})") from error
    if raw is None:
        return Playlist()
    if not isinstance(raw, dict):
        raise PlaylistError(f"{path}: expected keys views, seconds and refresh_minutes")
    if "notices" in raw:
        raise PlaylistError(f"{path}: unknown key 'notices'")
    try:
        return Playlist(**raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PlaylistError(f"{path}: {where}: {first['msg']}") from error
