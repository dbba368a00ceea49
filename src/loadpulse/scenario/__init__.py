"""Scripted scenarios: Python and YAML files, the Ctx API given to user code, checks, custom metrics."""
