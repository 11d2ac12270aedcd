"""The paper's numbers beside ours: one module per experiment with PAPER and NOTES,
keyed by metrics table name (plugen.summary reads them)."""
