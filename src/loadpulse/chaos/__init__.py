"""Chaos during load, the I/O side: the fault-injecting TCP proxy (and process faults)."""
