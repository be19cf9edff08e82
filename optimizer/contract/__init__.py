"""The contract: input schema, PlanningData, problems, result tables; imports nothing of the project."""
