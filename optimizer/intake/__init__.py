"""Workbook in: archive checks, reading, validation, numerics warnings, template, reference page."""
