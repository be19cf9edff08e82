"""The workbook reference page is generated from the schema and must match it."""

from optimizer.intake.reference import REFERENCE_PATH, reference_markdown
from optimizer.contract.schema import SHEETS


def test_committed_reference_matches_the_schema():
    assert REFERENCE_PATH.read_text(encoding="utf-8") == reference_markdown(), \
        "run `python -m optimizer.intake.reference` to regenerate docs/workbook.md"


def test_every_contract_sheet_is_documented():
    text = reference_markdown()
    for sheet in SHEETS:
        assert f"## `{sheet.name}`" in text
        for column in sheet.columns:
            assert f"| `{column.name}` |" in text
