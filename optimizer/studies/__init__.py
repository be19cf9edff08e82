"""Studies over many solves: sweeps and stress tests, where their tasks run, their workbooks."""
