"""Exceptions that cross module boundaries."""

from __future__ import annotations


class BadInput(Exception):
    """The user asked for something invalid. The CLI prints the message as one line and exits 2.

    Messages name the thing that is wrong and how to fix it; they never need a traceback to be understood.
    """
