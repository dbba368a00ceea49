"""Which loader reads a scenario file, by its extension."""

from __future__ import annotations

from pathlib import Path

from loadpulse.errors import BadInput
from loadpulse.scenario.source import ScenarioSource


def load_scenario(path: str) -> ScenarioSource:
    suffix = Path(path).suffix.lower()
    if suffix == ".py":
        from loadpulse.scenario.python_file import load_python

        return load_python(path)
    if suffix in (".yaml", ".yml"):
        from loadpulse.scenario.yaml_file import load_yaml

        return load_yaml(path)
    if not Path(path).exists():
        raise BadInput(f"scenario file {path!r} not found")
    raise BadInput(f"scenario file {path!r} must be a .py or .yaml/.yml file")
