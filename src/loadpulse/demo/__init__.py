"""The embedded demo target: a small message-ingest service like the systems in the seed guides."""
