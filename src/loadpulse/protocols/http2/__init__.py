"""HTTP/2 (RFC 9113) over the h2 library's state machine: streams multiplexed over few connections, for
the one-liner (``loadpulse http --h2``) and for scripts (``ctx.http`` with ``http2``)."""
