"""What the plan's limits are worth and why a shortfall remains, in figures and plain words."""
