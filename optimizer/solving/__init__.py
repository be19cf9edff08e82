"""Build, start, solve, read back: the only wing that imports models/, pyomo or highspy."""
