"""Live views of a running test."""
