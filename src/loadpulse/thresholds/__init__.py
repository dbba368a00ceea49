"""SLO thresholds (pure): expression parser, levels target/acceptable/critical, verdicts."""
