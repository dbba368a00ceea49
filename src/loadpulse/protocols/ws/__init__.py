"""WebSocket (``ctx.ws``): connections, messages and round trips measured like HTTP requests."""
