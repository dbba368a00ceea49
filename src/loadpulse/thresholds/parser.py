"""Threshold expressions, parsed by hand (never ``eval``).

Grammar (whitespace allowed between tokens)::

    threshold  := metric ( comparison | ":" level+ ) option*
    comparison := COMPARATOR value
    level      := ("target" | "acceptable" | "critical") COMPARATOR value
    option     := "abort_on_fail" [ "=" DURATION ]           # stop the run once this threshold FAILs
    metric     := IDENT [ filter ] ( "." IDENT | "." PERCENTILE )*
    filter     := "{" IDENT "=" TEXT ( "," IDENT "=" TEXT )* "}"
    value      := NUMBER [ UNIT ]
    COMPARATOR := "<" | "<=" | ">" | ">=" | "==" | "!="
    UNIT       := "us" | "ms" | "s" | "%" | "/s"
    PERCENTILE := "p" DIGITS [ "." DIGITS ]                  # p95, p99.9

Examples: ``p95 < 200ms``, ``http{name=create}.p99 <= 0.5s``, ``errors.rate < 1%``,
``requests.rate >= 500/s``, ``checks.rate > 99%``, ``dropped.count == 0``, ``errors.timeout.count < 10``,
``p95: target<10ms acceptable<20ms critical<50ms``, ``p99 < 1s abort_on_fail=10s``.

Errors are :class:`ThresholdError` carrying the position, so the CLI can echo the expression with a caret
under the offending character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMPARATORS = ("<=", ">=", "==", "!=", "<", ">")
LEVEL_NAMES = ("target", "acceptable", "critical")
UNITS = ("us", "µs", "ms", "s", "%", "/s")
ABORT = "abort_on_fail"

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<cmp><=|>=|==|!=|<|>)
  | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<ident>[A-Za-z_][\w-]*(?:\.\d+)?)
  | (?P<punct>[=,.:])
  | (?P<unit>%|/s|µs)
  | (?P<text>"[^"]*"|'[^']*')
    """,
    re.VERBOSE,
)


class ThresholdError(ValueError):
    """A threshold expression that does not parse; ``pos`` is the offending character's index."""

    def __init__(self, expression: str, pos: int, message: str) -> None:
        super().__init__(message)
        self.expression = expression
        self.pos = pos
        self.message = message

    def render(self) -> str:
        """One line for the CLI: the expression, the message and the column; :meth:`caret` draws the
        expression again with a caret under that column, for the line after it."""
        return f"threshold {self.expression!r}: {self.message} (column {self.pos + 1})"

    def caret(self) -> str:
        return f"  {self.expression}\n  {' ' * self.pos}^"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class MetricRef:
    parts: tuple[str, ...]
    """Dotted path after the base name, e.g. ('errors', 'timeout', 'count') or ('p95',)."""
    filters: tuple[tuple[str, str], ...] = ()
    pos: int = 0
    filter_pos: int = 0

    def __str__(self) -> str:
        head, *rest = self.parts
        flt = "{" + ",".join(f"{k}={v}" for k, v in self.filters) + "}" if self.filters else ""
        return ".".join([head + flt, *rest])


def tokenize(expr: str) -> list[Token]:
    """Tokens; a ``{...}`` filter is one token (its values may hold spaces, slashes, anything but '}')."""
    out: list[Token] = []
    pos = 0
    while pos < len(expr):
        if expr[pos] == "{":
            end = expr.find("}", pos)
            if end < 0:
                raise ThresholdError(expr, pos, "filter is not closed by '}'")
            out.append(Token("filter", expr[pos + 1 : end], pos))
            pos = end + 1
            continue
        m = _TOKEN.match(expr, pos)
        if m is None:
            raise ThresholdError(expr, pos, f"unexpected character {expr[pos]!r}")
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(Token(kind, m.group(), pos))
        pos = m.end()
    return out


_FILTER_ENTRY = re.compile(r"\s*([A-Za-z_]\w*)\s*=\s*(\"[^\"]*\"|'[^']*'|[^,]*?)\s*(?:,|$)")


def parse_filter(tok: Token, expr: str) -> tuple[tuple[str, str], ...]:
    """'name=create, scenario=x' (values may be quoted to hold commas)."""
    body, pos, out = tok.text, 0, []
    while pos < len(body):
        m = _FILTER_ENTRY.match(body, pos)
        if m is None or m.end() == pos:
            raise ThresholdError(expr, tok.pos + 1 + pos, "filter needs KEY=VALUE, like {name=create}")
        value = m.group(2)
        if value[:1] in "'\"" and len(value) >= 2:
            value = value[1:-1]
        if not value:
            raise ThresholdError(expr, tok.pos + 1 + m.start(2), "filter value is empty")
        out.append((m.group(1), value))
        pos = m.end()
    if not out:
        raise ThresholdError(expr, tok.pos, "filter needs KEY=VALUE, like {name=create}")
    return tuple(out)


class _Parser:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.toks = tokenize(expr)
        self.i = 0

    def peek(self) -> Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def end_pos(self) -> int:
        return len(self.expr.rstrip())

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise ThresholdError(self.expr, self.end_pos(), "ends too early")
        self.i += 1
        return tok

    def error(self, tok: Token | None, message: str) -> ThresholdError:
        return ThresholdError(self.expr, tok.pos if tok else self.end_pos(), message)

    def metric(self) -> MetricRef:
        tok = self.take()
        if tok.kind != "ident":
            raise self.error(tok, "expected a metric name like p95, errors.rate or requests.rate")
        parts = [tok.text]
        filters: tuple[tuple[str, str], ...] = ()
        filter_pos = 0
        nxt = self.peek()
        if nxt is not None and nxt.kind == "filter":
            filter_pos = nxt.pos
            filters = parse_filter(self.take(), self.expr)
        while (nxt := self.peek()) is not None and nxt.text == ".":
            self.take()
            part = self.take()
            if part.kind not in ("ident", "num"):
                raise self.error(part, "expected a name after '.'")
            parts.append(part.text.lstrip("+"))
        return MetricRef(tuple(parts), filters, tok.pos, filter_pos)

    def value(self) -> RawValue:
        tok = self.take()
        if tok.kind != "num":
            raise self.error(tok, f"expected a number, not {tok.text!r}")
        end = tok.pos + len(tok.text)
        unit = None
        nxt = self.peek()
        if nxt is not None and nxt.pos == end and nxt.kind in ("ident", "unit"):
            if nxt.text not in UNITS:
                raise self.error(nxt, f"unknown unit {nxt.text!r} (use one of {', '.join(UNITS)})")
            unit = nxt.text
            end = nxt.pos + len(nxt.text)
            self.take()
        elif nxt is not None and nxt.kind == "ident" and nxt.text not in (*LEVEL_NAMES, ABORT):
            raise self.error(nxt, f"unknown unit {nxt.text!r} (use one of {', '.join(UNITS)})")
        return RawValue(float(tok.text), unit, self.expr[tok.pos : end], tok.pos)

    def comparator(self) -> str:
        tok = self.take()
        if tok.kind != "cmp":
            raise self.error(tok, f"expected a comparator ({' '.join(COMPARATORS)}), not {tok.text!r}")
        return tok.text


@dataclass(frozen=True, slots=True)
class RawValue:
    number: float
    unit: str | None
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class RawLevel:
    name: str
    comparator: str
    value: RawValue


@dataclass(frozen=True, slots=True)
class Parsed:
    """The syntax of one threshold; :mod:`loadpulse.thresholds.threshold` gives it meaning."""

    expression: str
    metric: MetricRef
    levels: tuple[RawLevel, ...]
    single: bool
    """Written as one comparison (meeting it is PASS, breaching it FAIL), not as levels."""
    abort_on_fail: bool = False
    abort_delay: RawValue | None = None


def parse(expr: str) -> Parsed:
    p = _Parser(expr)
    if not p.toks:
        raise ThresholdError(expr, 0, "empty expression")
    metric = p.metric()
    levels: list[RawLevel] = []
    nxt = p.peek()
    single = True
    if nxt is not None and nxt.text == ":":
        p.take()
        single = False
        while (tok := p.peek()) is not None and tok.kind == "ident" and tok.text in LEVEL_NAMES:
            p.take()
            if any(lv.name == tok.text for lv in levels):
                raise p.error(tok, f"{tok.text!r} given twice")
            levels.append(RawLevel(tok.text, p.comparator(), p.value()))
        if not levels:
            raise p.error(p.peek(), "expected levels after ':', like 'target<10ms critical<50ms'")
    elif nxt is None:
        raise p.error(None, f"missing a comparator ({' '.join(COMPARATORS)}) and a value")
    else:
        levels.append(RawLevel("critical", p.comparator(), p.value()))
    abort = False
    delay: RawValue | None = None
    while (tok := p.peek()) is not None:
        if tok.kind == "ident" and tok.text == ABORT:
            p.take()
            abort = True
            if (eq := p.peek()) is not None and eq.text == "=":
                p.take()
                delay = p.value()
            continue
        raise p.error(tok, f"unexpected {tok.text!r} after the threshold")
    return Parsed(expr, metric, tuple(levels), single, abort, delay)
