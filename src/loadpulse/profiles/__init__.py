"""PURE. Load shapes: when each arrival is due. No clocks, no I/O."""
