"""Talk to a running dashboard the way its browser page does: read the callback definitions
from `/_dash-dependencies` and POST the same payloads to `/_dash-update-component`.

Used by the load test, the fault test and the serving tests; works with a `requests.Session`
against a real server and with Flask's test client.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

DATABASE_DOWN_TEXT = "The database cannot be reached"


def _outputs(output: str):
    """The outputs of a callback as the renderer sends them: a list for a multi-output one."""
    def one(text: str) -> dict:
        component, _, prop = text.rpartition(".")
        return {"id": component, "property": prop.split("@")[0]}

    if output.startswith(".."):
        return [one(part) for part in output[2:-2].split("...")]
    return one(output)


@dataclass(frozen=True)
class Callback:
    """One callback of the app as `/_dash-dependencies` describes it."""

    output: str
    inputs: tuple[tuple[str, str], ...]
    state: tuple[tuple[str, str], ...]

    def payload(self, values: dict[str, object], changed: list[str] | None = None) -> dict:
        """The JSON body the browser sends; `values` maps "id.property" to its current value,
        `changed` names the inputs that fired (default: all of them, as on a page load)."""
        def listed(pairs):
            return [{"id": c, "property": p, "value": values.get(f"{c}.{p}")} for c, p in pairs]

        return {
            "output": self.output,
            "outputs": _outputs(self.output),
            "inputs": listed(self.inputs),
            "state": listed(self.state),
            "changedPropIds": changed if changed is not None else [f"{c}.{p}" for c, p in self.inputs],
        }


class DashCallbacks:
    """The app's callbacks, found by one of their outputs ("scoreboard-body.children")."""

    def __init__(self, dependencies: list[dict]):
        self.callbacks = []
        for dependency in dependencies:
            if any(item["id"].startswith("{") for item in dependency["inputs"]):
                continue  # pattern-matching callbacks (grid clicks) are not needed here
            self.callbacks.append(Callback(
                output=dependency["output"],
                inputs=tuple((item["id"], item["property"]) for item in dependency["inputs"]),
                state=tuple((item["id"], item["property"]) for item in dependency["state"]),
            ))

    @classmethod
    def fetch(cls, client, base_url: str = "") -> DashCallbacks:
        """Read `/_dash-dependencies` with a requests.Session or a Flask test client."""
        response = client.get(f"{base_url}/_dash-dependencies")
        if response.status_code != 200:
            raise RuntimeError(f"/_dash-dependencies answered HTTP {response.status_code}")
        return cls(response.json() if callable(response.json) else response.json)

    def by_output(self, target: str) -> Callback:
        """The callback that writes `target` ("component.property")."""
        for callback in self.callbacks:
            parts = callback.output.strip(".").split("...")
            if any(part.split("@")[0] == target for part in parts):
                return callback
        raise KeyError(f"no callback writes {target}")


def response_outputs(body: bytes | str) -> dict:
    """A callback response's outputs as {"id.property": value}."""
    data = json.loads(body)
    return {f"{component}.{prop}": value
            for component, props in data.get("response", {}).items() for prop, value in props.items()}
