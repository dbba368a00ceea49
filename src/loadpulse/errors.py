"""Exceptions that cross module boundaries."""

from __future__ import annotations


class BadInput(Exception):
    """The user asked for something invalid. The CLI prints the message as one line and exits 2.

    Messages name the thing that is wrong and how to fix it; they never need a traceback to be understood.
    ``detail`` is printed under the line when a picture helps (a threshold expression with a caret).
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail
