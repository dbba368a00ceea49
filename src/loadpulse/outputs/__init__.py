"""Reporters: plain functions of a finished run (or of its Summary JSON)."""
