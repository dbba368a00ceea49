"""HTTP/1.1 over asyncio + httptools: the measured hot path."""
