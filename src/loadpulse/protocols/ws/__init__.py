"""WebSocket (``ctx.ws``): connections, messages and round trips measured like HTTP requests.

Built on picows (Cython: frame parsing, masking and the transport in C; loadpulse's Python runs once per
message, in :class:`~.frames.Frames` and :class:`~.connection.WsConnection`). Chosen for the hot
path, measured with ``bench/ws_libs.py`` (lean picows echo server on core 0, each client alone on core 1,
request/reply with 32-byte messages; a shared, loaded 2-core machine): with 10 connections picows' own API
made 27,803 / 23,657 messages/s in two runs, ``ctx.ws`` on picows 35,896 / 15,471, websockets 17's asyncio
client 8,508 / 13,360; with 50 connections 59,248, 61,094 and 15,627: picows 1.8-3.8x websockets.
websockets holds an idle connection in ~11 KB against picows' ~14 KB (picows' read buffer lowered from
16 KiB to 2 KiB, see ``client.READ_BUFFER_BYTES``); the hot path decided. wsproto was not measured:
sans-I/O, its speed would be that of the loop written around it. docs/websocket.md has the figures and
what an idle connection costs.

- :mod:`.address` where a connect goes and what it is named (pure)
- :mod:`.matching` which message answers a request (pure)
- :mod:`.pending` a request waiting for its reply, and how its end is recorded
- :mod:`.close_codes` how a connection ended, as an error kind (pure)
- :mod:`.frames` picows' frames as messages
- :mod:`.connection` one open connection: what picows' frames end as, and what the script calls
- :mod:`.errors` what a failed connection raises (already counted)
- :mod:`.client` one VU's ``ctx.ws``: connecting, the handshake measured
- :mod:`.plugin` the run's session: counters, timeouts, warnings
"""
