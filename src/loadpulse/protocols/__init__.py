"""Clients that load runs and scenarios drive."""
