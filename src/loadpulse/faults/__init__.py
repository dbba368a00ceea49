"""Pure fault descriptions (what to inject, when), shared by the chaos I/O layer and the run's timeline."""
