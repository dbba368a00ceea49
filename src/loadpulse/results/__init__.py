"""Records of a finished run, below everything that reports them: RunOutcome (what the engine hands over),
the Summary JSON, Results (the results file and a history row) and the helpers every report shares."""
