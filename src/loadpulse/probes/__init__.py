"""Target monitoring on the run's timeline: process, file, http, sql, redis and Python callable probes."""
