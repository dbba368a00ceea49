"""The frame every offline HTML page shares (run report, capacity search, test plan): one self-contained
file, no network request, charts drawn by the vendored uPlot.

The page carries its data as JSON inside a ``<script type="application/json">`` element (with ``<`` escaped,
so no text in it can close the element); its scripts build every cell with ``textContent`` (the helpers in
``static/dom.js``), so whatever a target or a script said is shown as text, never interpreted as HTML.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from importlib import resources
from typing import Any


def _static(name: str) -> str:
    return (resources.files("loadpulse.outputs") / "static" / name).read_text(encoding="utf-8")


def _embed_json(data: Any) -> str:
    # Escaping '<', '>' and '&' keeps '</script>' or '<!--' inside any string from ending the element.
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(
    title: str,
    data_id: str,
    data: Any,
    scripts: Sequence[str],
    *,
    main_id: str = "report",
    extra_css: str = "",
    body: Sequence[str] = (),
    frames: bool = False,
) -> str:
    """The page: ``data`` embedded as JSON under ``data_id``, then uPlot, charts.js, dom.js and ``scripts``
    (files of ``static/``, in order), which fill ``<main id=main_id>``. ``body``: markup put after the main
    element; ``frames``: the page holds ``srcdoc`` iframes, which the policy then allows (same origin)."""
    # No network at all: every resource is inline, and the policy forbids fetching anything.
    policy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
    if frames:
        policy += "; frame-src 'self'"
    licence = _static("uPlot.LICENSE")
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{_static('uPlot.min.css')}</style>",
            f"<style>{_static('report.css')}{extra_css}</style>",
            "</head><body>",
            f'<main id="{main_id}"><noscript>This report draws its charts with JavaScript.</noscript></main>',
            *body,
            f'<script type="application/json" id="{data_id}">{_embed_json(data)}</script>',
            f"<script>/* uPlot {licence.splitlines()[0]} (MIT, see below) */\n"
            f"{_static('uPlot.iife.min.js')}</script>",
            *(f"<script>{_static(name)}</script>" for name in ["charts.js", "dom.js", *scripts]),
            f"<!-- uPlot licence:\n{html.escape(licence)}\n-->",
            "</body></html>",
        ]
    )
