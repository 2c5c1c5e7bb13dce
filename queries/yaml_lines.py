"""The one YAML reader of the project (agreement, mapping files, wall playlist), and where each part
of a document stands, so a file refused by validation names its line.

Aliases (`*name`) are refused while the document is composed, before anything is built from it: a
few hundred bytes of nested aliases stand for millions of values (an "alias bomb"), and none of our
files needs them.
"""
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


class YamlSyntaxError(ValueError):
    """Text that is not YAML: the line (1-based, when known) and what the parser said."""

    def __init__(self, line: int | None, problem: str):
        self.line, self.problem = line, problem
        super().__init__(f"line {line}: {problem}" if line else problem)


class NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses an alias the moment it meets one."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*{event.anchor}) are not allowed: write the value out where it is used",
                event.start_mark)
        return super().compose_node(parent, index)


def load_yaml(text: str):
    """The document's node tree (for `lines_by_path`) and its data, from one parse; raises
    YamlSyntaxError naming the line where the text stops being YAML or uses an alias."""
    loader = NoAliasLoader(text)
    node = None
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise YamlSyntaxError(mark.line + 1 if mark else None, str(error.problem or error)) from None
    except ValueError as error:  # a scalar that reads as a date or time and is none, such as 2026-02-30
        scalar = _unreadable_scalar(loader, node)
        if scalar is None:
            raise YamlSyntaxError(None, str(error)) from None
        raise YamlSyntaxError(scalar.start_mark.line + 1, f"{scalar.value} is not a date: {error}") from None
    finally:
        loader.dispose()


def _unreadable_scalar(loader: yaml.SafeLoader, node) -> yaml.ScalarNode | None:
    """The first scalar of the document (in reading order) that its constructor refuses."""
    pending = [node] if node is not None else []
    while pending:
        item = pending.pop(0)
        if isinstance(item, yaml.ScalarNode):
            constructor = loader.yaml_constructors.get(item.tag)
            try:
                if constructor is not None:
                    constructor(loader, item)
            except ValueError:
                return item
        elif isinstance(item, yaml.MappingNode):
            pending[:0] = [part for pair in item.value for part in pair]
        elif isinstance(item, yaml.SequenceNode):
            pending[:0] = list(item.value)
    return None
