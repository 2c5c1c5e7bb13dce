"""The wall playlist: the file, its defaults, the URL's overrides and clear errors."""
from __future__ import annotations

import pytest

from dashboard.wall.playlist import Playlist, PlaylistError, load_playlist


def test_wp001_the_shipped_playlist_loads():
    playlist = load_playlist("data/wall.yaml")
    assert playlist.views[0] == "meeting" and playlist.seconds == 20 and playlist.refresh_ms == 300_000


def test_wp002_a_missing_file_means_the_defaults(tmp_path):
    assert load_playlist(tmp_path / "none.yaml") == Playlist()


@pytest.mark.parametrize("text, message", [
    ("views: [week, dashboard]", "views.1"),
    ("seconds: 1", "seconds"),
    ("refresh_minutes: 0", "refresh_minutes"),
    ("views: []", "views"),
    ("colour: red", "colour"),
    ("- week", "expected keys"),
    ("views: [week", "not YAML"),
    ("notices: [x]", "notices"),
])
def test_wp003_a_broken_file_is_refused_naming_the_file_and_the_fault(tmp_path, text, message):
    path = tmp_path / "wall.yaml"
    path.write_text(text)
    with pytest.raises(PlaylistError) as error:
        load_playlist(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_wp004_the_url_overrides_views_seconds_and_refresh():
    playlist = Playlist().with_query({"views": "week,funnel,week", "seconds": "30", "refresh": "2"})
    assert playlist.views == ("week", "funnel") and playlist.seconds == 30 and playlist.refresh_ms == 120_000
    assert Playlist().with_query({"refresh": "30s"}).refresh_ms == 30_000
    assert playlist.notices == ()


def test_wp005_bad_url_values_are_left_out_and_said():
    playlist = Playlist(views=("month",)).with_query({"views": "weak,,", "seconds": "fast", "refresh": "0"})
    assert playlist.views == ("month",) and playlist.seconds == 20 and playlist.refresh_minutes == 5
    assert playlist.notices == ("unknown view 'weak' left out", "seconds='fast' is not a number; ignored",
                                "refresh=0 is outside 0.0166667..1440; ignored")
