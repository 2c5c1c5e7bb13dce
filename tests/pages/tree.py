"""Helpers to read a rendered component tree in page tests, and to reach a page's module."""
from __future__ import annotations

import sys


def walk(component):
    """Every component of a tree, depth first (strings and None left out)."""
    if isinstance(component, (list, tuple)):
        for child in component:
            yield from walk(child)
        return
    if component is None or isinstance(component, (str, int, float)):
        return
    yield component
    yield from walk(getattr(component, "children", None))


def texts(component) -> list[str]:
    """Every string in a tree, depth first."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [text for child in component for text in texts(child)]
    children = getattr(component, "children", None)
    return texts(children) if children is not None else []


def find(component, component_id):
    """The component with this id, or None."""
    return next((c for c in walk(component) if getattr(c, "id", None) == component_id), None)


def of_type(component, type_name: str) -> list:
    """The components of one type (e.g. 'AgGrid', 'Link') in a tree."""
    return [c for c in walk(component) if type(c).__name__ == type_name]


def page(name: str):
    """The module Dash imported for a page of the app created last (pages/<name>.py).

    Importing `dashboard.pages.<name>` again would register the page and its callbacks twice.
    """
    return sys.modules[f"pages.{name}"]
