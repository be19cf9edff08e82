"""Re-planning: the previous plan, frozen orders, changes, run history, watch and schedule."""
