"""Decorators a scenario file uses. They only mark functions; the loader validates and collects them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

F = TypeVar("F", bound=Callable[..., Any])

TASK_MARK = "__loadpulse_task__"


@overload
def task(fn: F, /) -> F: ...
@overload
def task(
    *, weight: float = 1.0, name: str | None = None, scenario: str | None = None
) -> Callable[[F], F]: ...
def task(
    fn: F | None = None,
    /,
    *,
    weight: float = 1.0,
    name: str | None = None,
    scenario: str | None = None,
) -> F | Callable[[F], F]:
    """Mark an ``async def f(ctx)`` as a task of a scenario file.

    ``weight``: its share of iterations among the tasks of its scenario (70/20/10 like seed 003).
    ``scenario``: which entry of the file's ``scenarios`` it belongs to (default: "default").
    """

    def mark(f: F) -> F:
        setattr(f, TASK_MARK, {"weight": weight, "name": name or f.__name__, "scenario": scenario})
        return f

    return mark(fn) if fn is not None else mark
