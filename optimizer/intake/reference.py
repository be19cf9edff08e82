"""The workbook reference (docs/workbook.md), generated from ``optimizer.contract.schema``.

Run ``python -m optimizer.intake.reference`` after changing the schema; a test fails
while the committed page differs from what the schema says.
"""

from __future__ import annotations

from pathlib import Path

from optimizer.contract.schema import SHEETS, Sheet

REFERENCE_PATH = Path(__file__).resolve().parents[2] / "docs" / "workbook.md"


def sheet_markdown(sheet: Sheet) -> str:
    """One sheet's section of docs/workbook.md: its meaning and a table of its columns."""
    status = "required" if sheet.required else "optional"
    layout = " Two columns `key`, `value`; one row per key below." if sheet.key_value else ""
    lines = [f"## `{sheet.name}` ({status})", "", f"{sheet.meaning}{layout}", "",
             "| column | type | default | unit | meaning |", "| --- | --- | --- | --- | --- |"]
    for column in sheet.columns:
        lines.append(f"| `{column.name}` | {column.expectation()} | {column.describe_default()} | "
                     f"{column.unit} | {column.meaning} |")
    return "\n".join(lines)


def reference_markdown() -> str:
    """The whole of docs/workbook.md, generated from the schema."""
    header = (
        "# Workbook reference\n\n"
        "Generated from `optimizer/contract/schema.py` by `python -m optimizer.intake.reference`; the contract it\n"
        "implements is `../shared/spec/workbook.md`. Sheet names and headers match case-insensitively\n"
        "after trimming spaces; blank optional cells take the default; lists are comma-separated.\n"
    )
    return header + "\n" + "\n\n".join(sheet_markdown(sheet) for sheet in SHEETS) + "\n"


if __name__ == "__main__":
    REFERENCE_PATH.write_text(reference_markdown(), encoding="utf-8")
    print(f"wrote {REFERENCE_PATH}")
