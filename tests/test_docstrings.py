"""Every public function and method (no leading underscore; methods of public classes) has a docstring.

Read with ``ast`` from the project's own code: optimizer/, models/ and scripts/, not tests.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("optimizer", "models", "scripts")
# Dead code that issue 12 removes (only tests call it).
EXEMPT = {"optimizer/analysis/analyse.py:causes_table"}


def undocumented(source: str, name: str) -> list[str]:
    """The public functions of ``source`` without a docstring, as ``name:qualified.function``."""
    missing = []

    def visit(body, prefix: str) -> None:
        for node in body:
            if not hasattr(node, "name") or node.name.startswith("_"):  # statements, private names
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and ast.get_docstring(node) is None:
                missing.append(f"{name}:{prefix}{node.name}")
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{node.name}.")

    visit(ast.parse(source).body, "")
    return missing


def test_every_public_function_has_a_docstring():
    missing = [entry for folder in FOLDERS for path in sorted((ROOT / folder).rglob("*.py"))
               for entry in undocumented(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())]
    assert [entry for entry in missing if entry not in EXEMPT] == []


def test_the_check_sees_functions_and_methods_but_not_private_ones():
    source = (
        "def shown(): pass\n"
        "def _hidden(): pass\n"
        "class Public:\n    def method(self): pass\n    def _private(self): pass\n"
        "class _Private:\n    def method(self): pass\n"
        "def documented():\n    '''Says what it does.'''\n"
    )
    assert undocumented(source, "m.py") == ["m.py:shown", "m.py:Public.method"]
