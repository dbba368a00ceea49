"""Run history (SQLAlchemy Core: SQLite by default, PostgreSQL by URL) and run-vs-run comparison."""
