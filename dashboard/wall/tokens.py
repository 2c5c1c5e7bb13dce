"""Read-only links for unattended wall screens (`data/wall-tokens.json`, or `WALL_TOKENS_PATH`).

`app.py wall-token create NAME` prints a link `/wall?token=...` once; only the token's SHA-256
is kept, so the file gives nobody a working link. A screen that opens the link gets a session
that can see the wall and nothing else; `revoke` ends every session of that link at its next
request. With no users configured the dashboard is open (loopback only) and links are not needed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from dashboard.json_store import StoreError, modified, read_json, write_json
from queries.db import PROJECT_ROOT

DEFAULT_TOKENS_PATH = PROJECT_ROOT / "data" / "wall-tokens.json"


class TokenError(ValueError):
    """A wall-link command cannot be carried out; says why."""


@dataclass(frozen=True)
class WallLink:
    id: str
    name: str
    created: str
    revoked: str | None


def tokens_path(path: str | Path | None = None) -> Path:
    """The wall links file in force: `path`, else `WALL_TOKENS_PATH`, else `data/wall-tokens.json`."""
    return Path(path or os.environ.get("WALL_TOKENS_PATH") or DEFAULT_TOKENS_PATH)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _read(path: Path) -> list[dict]:
    links = read_json(path, [])
    for link in links:
        if not isinstance(link, dict) or not {"id", "name", "sha256", "created"} <= set(link):
            raise StoreError(f"{path}: every link needs id, name, sha256 and created")
    return links


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def create_link(path: Path, name: str) -> tuple[WallLink, str]:
    """A new link for the screen `name`: its record and the token (shown once, never stored)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise TokenError("name the screen (1 to 100 characters), e.g. \"Corridor TV\"")
    links = _read(path)
    token = secrets.token_urlsafe(32)
    record = {"id": secrets.token_hex(4), "name": name, "sha256": _digest(token), "created": _now(), "revoked": None}
    write_json(path, [*links, record])
    return _link(record), token


def revoke_link(path: Path, which: str) -> WallLink:
    """Revoke the link with this id (or, when only one has it, this name)."""
    links = _read(path)
    chosen = [link for link in links if link["id"] == which] or [link for link in links if link["name"] == which]
    if not chosen:
        raise TokenError(f"no wall link {which!r} (see `app.py wall-token list`)")
    if len(chosen) > 1:
        raise TokenError(f"{len(chosen)} links are named {which!r}: revoke by id")
    chosen[0]["revoked"] = chosen[0].get("revoked") or _now()
    write_json(path, links)
    return _link(chosen[0])


def list_links(path: Path) -> list[WallLink]:
    return [_link(link) for link in _read(path)]


def _link(record: dict) -> WallLink:
    return WallLink(record["id"], record["name"], record["created"], record.get("revoked"))


class WallLinks:
    """The links file as the running app sees it: reread when it changes on disk."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: object = object()
        self._links: list[dict] = []

    def _current(self) -> list[dict]:
        stamp = modified(self.path)
        with self._lock:
            if stamp != self._stamp:
                self._links = _read(self.path) if stamp is not None else []
                self._stamp = stamp
            return self._links

    def verify(self, token: str) -> WallLink | None:
        """The live link this token opens, or None (unknown or revoked)."""
        digest = _digest(token or "")
        for link in self._current():
            if hmac.compare_digest(link["sha256"], digest) and not link.get("revoked"):
                return _link(link)
        return None

    def is_live(self, link_id: str) -> bool:
        return any(link["id"] == link_id and not link.get("revoked") for link in self._current())
