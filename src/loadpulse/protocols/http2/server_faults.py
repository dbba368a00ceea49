"""What loadpulse says of an HTTP/2 server that misbehaves: one text per fault (pure).

A text is the same however often its fault happens, so the run's warnings (each said once) hold it once;
the values in it (a limit, a code) are ones the fault keeps from one connection to the next.
"""

from __future__ import annotations

FEW_STREAMS = 10
"""A server that ends connections with a graceful GOAWAY after fewer streams than this is said."""


def stream_limit(limit: int, wanted: int, during_run: bool) -> list[str]:
    """The server's SETTINGS_MAX_CONCURRENT_STREAMS, in its first SETTINGS or changed during the run."""
    if during_run:
        said = [
            "the server changed its limit of concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS) during "
            "the run: the streams in flight followed it"
        ]
        if limit == 0:
            said.append(
                "the server lowered its limit of concurrent streams to 0 during the run: requests waited "
                "for it to raise it again, or timed out"
            )
        return said
    if limit == 0:
        return [
            "the server allows no concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS 0): requests wait for "
            "it to raise the limit, or time out"
        ]
    if limit < wanted:
        return [
            f"the server allows at most {limit:,} concurrent stream{'s' if limit > 1 else ''} per connection "
            f"(SETTINGS_MAX_CONCURRENT_STREAMS): {limit:,} in flight on each, not the {wanted:,} asked for"
        ]
    return []


def goaway(error_code: object, debug: bytes | None, serves: int) -> str | None:
    """A GOAWAY worth saying: an error one, or a graceful one after fewer than FEW_STREAMS streams
    (``serves``: those the connection answered or still will)."""
    if error_code != 0:
        name = getattr(error_code, "name", None) or f"error {error_code}"
        said = debug[:100].decode("utf-8", "replace") if debug else ""
        return (
            f"the server ended connections with GOAWAY {name}{f' ({said})' if said else ''}: the streams it "
            "had not answered failed as h2_goaway; the next connection waits (10 ms doubling to 1 s)"
        )
    if 0 < serves < FEW_STREAMS:
        return (
            f"the server ends connections with GOAWAY after fewer than {FEW_STREAMS} streams each: a new "
            "connection (and handshake) every few requests, its wait in their latency"
        )
    return None


def flood(control: int, started: int, sent_data: int) -> str:
    return (
        f"{control:,} WINDOW_UPDATE and PING frames, for {started:,} stream(s) and {sent_data:,} DATA "
        "frame(s) sent: a flood"
    )


def oversized_frame(length: int, limit: int) -> str:
    return f"a frame of {length:,} bytes announced, above the {limit:,} it may send (SETTINGS_MAX_FRAME_SIZE)"


def broken(what: str) -> str:
    """A connection error of the server's (``what`` it did), once the connection served."""
    return (
        f"the server broke the HTTP/2 protocol ({what}): its connection was dropped and the streams on it "
        "counted as protocol errors"
    )


def malformed(status: bytes | None) -> str:
    """A response whose ``:status`` is missing (None) or not three digits."""
    what = "no :status" if status is None else f"the invalid :status {status[:20].decode('latin-1')!r}"
    return f"the server answered with {what} (a malformed HTTP/2 response): counted as protocol errors"
