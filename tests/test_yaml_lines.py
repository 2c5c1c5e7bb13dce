"""The one YAML reader (agreement, mapping files, wall playlist): a document that uses aliases is
refused while it is read, before anything is built from it, naming the line."""
from __future__ import annotations

import pytest

from queries.yaml_lines import YamlSyntaxError, load_yaml


def alias_bomb(levels: int = 6) -> str:
    """Each level lists the one before nine times: 9**levels strings from a few hundred bytes."""
    lines = ['a0: &a0 "lol"']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_yl001_an_alias_is_refused_naming_its_line():
    with pytest.raises(YamlSyntaxError) as refused:
        load_yaml("name: &n Sales SLA\ncopy: *n\n")
    assert (refused.value.line, refused.value.problem) == (
        2, "aliases (*n) are not allowed: write the value out where it is used")


def test_yl002_an_alias_bomb_in_the_agreement_is_refused_at_its_first_alias(tmp_path):
    from dashboard.sla import AgreementError, load_agreement

    path = tmp_path / "sla.yaml"
    path.write_text(alias_bomb())
    with pytest.raises(AgreementError) as refused:
        load_agreement(path)
    assert str(refused.value) == (f"{path} line 2: not valid YAML: aliases (*a0) are not allowed: "
                                  "write the value out where it is used")


def test_yl003_mapping_files_and_the_playlist_refuse_aliases_too(tmp_path):
    from dashboard.importing.mapping import MappingError, load_mapping
    from dashboard.wall.playlist import PlaylistError, load_playlist

    mapping = tmp_path / "crm.yaml"
    mapping.write_text(alias_bomb(3))
    with pytest.raises(MappingError, match=r"line 2.*aliases \(\*a0\) are not allowed"):
        load_mapping(mapping)
    playlist = tmp_path / "wall.yaml"
    playlist.write_text("views: &v [week]\nseconds: 20\nrefresh_minutes: *v\n")
    with pytest.raises(PlaylistError, match=r"line 3: aliases \(\*v\) are not allowed"):
        load_playlist(playlist)


def test_yl004_anchors_without_aliases_and_plain_documents_still_read():
    node, data = load_yaml("name: &n Sales SLA\nreview: quarterly\n")
    assert data == {"name": "Sales SLA", "review": "quarterly"}
    assert load_yaml("") == (None, None)
