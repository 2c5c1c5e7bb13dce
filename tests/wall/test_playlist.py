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


def test_wp006_a_url_naming_thousands_of_unknown_views_gets_a_short_footer():
    playlist = Playlist().with_query({"views": ",".join(f"v{n}" for n in range(6000))})
    assert playlist.notices == ("unknown view 'v0' left out", "unknown view 'v1' left out",
                                "unknown view 'v2' left out", "and 5,997 more unknown views left out")


@pytest.mark.parametrize("stored, views", [
    ({"views": ["week", "loop"], "titles": ["", ""], "seconds": 5}, ("week", "loop")),
    ({"views": ["meeting"] * 6000}, None), ({"views": ["week", "week"]}, None), ({"views": ["payroll"]}, None),
    ({"views": []}, None), ({"views": "week"}, None), (None, None), ({"views": [["week"]]}, None),
])
def test_wp007_the_views_a_screen_posts_back_are_checked(stored, views):
    from dashboard.wall.playlist import stored_views

    if views is None:
        with pytest.raises(ValueError, match="not a playlist this screen was given"):
            stored_views(stored)
    else:
        assert stored_views(stored) == views
