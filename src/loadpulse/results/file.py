"""The results file (``--out PATH``) as bytes: written as JSON (gzip-compressed when the path ends in
``.gz``), read back with every check a file from anywhere needs.

Readers refuse a newer schema by name instead of misreading it; a truncated, corrupt or oversized file
(a gzip bomb) is one clear error.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import zlib
from pathlib import Path
from typing import Any

from loadpulse.errors import BadInput
from loadpulse.results.document import RESULTS_SCHEMA, SCHEMA_PREFIX, SCHEMA_VERSION, Results
from loadpulse.results.schema import schema_problem

MAX_BYTES_ENV = "LOADPULSE_RESULTS_MAX_MB"
DEFAULT_MAX_BYTES = 512 << 20


def results_bytes(results: Results, path: str | Path) -> bytes:
    """The file's bytes: JSON, gzip-compressed when ``path`` ends in ``.gz``."""
    data = json.dumps(results.to_dict(), separators=(",", ":")).encode()
    return gzip.compress(data, 6) if Path(path).name.endswith(".gz") else data


def max_results_bytes() -> int:
    """The size cap on a results document, decompressed: ``$LOADPULSE_RESULTS_MAX_MB`` or 512 MiB."""
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    try:
        mb = float(raw)
    except ValueError:
        raise BadInput(f"${MAX_BYTES_ENV} {raw!r} is not a number of MiB") from None
    if not 0 < mb < 1 << 30:
        raise BadInput(f"${MAX_BYTES_ENV} {raw!r} must be a positive number of MiB")
    return int(mb * (1 << 20))


def _too_big(where: str, max_bytes: int) -> BadInput:
    return BadInput(
        f"{where!r} is larger than {max_bytes / (1 << 20):g} MiB once decompressed; "
        f"refusing it (raise ${MAX_BYTES_ENV} if it is a genuine results file)"
    )


def decompress_capped(raw: bytes, where: str, max_bytes: int) -> bytes:
    """gzip data decompressed up to ``max_bytes``, refused past it: a gzip bomb of a few KB would otherwise
    expand to gigabytes before anything could look at it. GzipFile decompresses in chunks as it reads."""
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
        out = f.read(max_bytes + 1)
    if len(out) > max_bytes:
        raise _too_big(where, max_bytes)
    return out


def parse_document(raw: bytes, where: str, max_bytes: int | None = None) -> Any:
    """The JSON document in ``raw`` (gzip or plain), or BadInput naming what is wrong with it."""
    cap = max_results_bytes() if max_bytes is None else max_bytes
    if len(raw) > cap:
        raise _too_big(where, cap)
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = decompress_capped(raw, where, cap)
        return json.loads(raw)
    except (EOFError, OSError, zlib.error):
        raise BadInput(f"results file {where!r} is truncated or corrupt (bad gzip data)") from None
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"results file {where!r} is truncated or corrupt: not valid JSON ({exc.msg} at byte {exc.pos})"
        ) from None
    except UnicodeDecodeError:
        raise BadInput(f"results file {where!r} is corrupt: not UTF-8 JSON") from None
    except RecursionError:
        raise BadInput(f"results file {where!r} is corrupt: JSON nested too deeply") from None


def read_results(path: str | Path, max_bytes: int | None = None) -> Results:
    """A results file, or BadInput naming what is wrong with it. ``max_bytes`` caps the document's size
    (decompressed); the default is :func:`max_results_bytes`."""
    p = Path(path)
    cap = max_results_bytes() if max_bytes is None else max_bytes
    try:
        with p.open("rb") as f:
            # Read one byte past the cap: a plain file over it is refused without reading it whole.
            raw = f.read(cap + 1)
    except FileNotFoundError:
        raise BadInput(f"results file {str(path)!r} not found") from None
    except IsADirectoryError:
        raise BadInput(f"results file {str(path)!r} is a folder, not a file") from None
    except OSError as exc:
        raise BadInput(f"results file {str(path)!r} cannot be read: {exc.strerror}") from None
    return results_from_doc(parse_document(raw, str(path), cap), str(path))


def results_from_doc(doc: Any, where: str) -> Results:
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if not isinstance(schema, str) or not schema.startswith(SCHEMA_PREFIX):
        raise BadInput(f"{where!r} is not a loadpulse results file (no '{RESULTS_SCHEMA}' schema)")
    try:
        version = int(schema.removeprefix(SCHEMA_PREFIX))
    except ValueError:
        raise BadInput(f"{where!r} has an unknown schema {schema!r}") from None
    if version > SCHEMA_VERSION:
        raise BadInput(
            f"{where!r} was written by a newer loadpulse (schema {schema}); "
            f"this one reads {RESULTS_SCHEMA}: upgrade loadpulse to read it"
        )
    problem = schema_problem(doc)
    if problem is not None:
        raise BadInput(f"{where!r} is not a valid results file: {problem}")
    try:
        return Results.from_dict(doc)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        # The schema check above should leave nothing for here; kept so a gap in it is still one line.
        raise BadInput(f"{where!r} is corrupt: {type(exc).__name__} {exc}") from None
