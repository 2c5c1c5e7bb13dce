"""Where each part of a YAML document stands, so a file refused by validation names its line."""
from __future__ import annotations

import yaml


def lines_by_path(node, prefix: tuple = ()) -> dict[tuple, int]:
    """Every key path of a composed YAML node (`yaml.compose`) with its 1-based line: mapping keys
    by name, sequence items by index."""
    lines = {prefix: node.start_mark.line + 1} if node is not None else {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[prefix + (key.value,)] = key.start_mark.line + 1
            for path, line in lines_by_path(value, prefix + (key.value,)).items():
                lines.setdefault(path, line)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(lines_by_path(item, prefix + (index,)))
    return lines
