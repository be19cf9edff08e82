"""The import rules of the wings (issue 12), read from the code with ``ast``: nothing is imported or run.

Each rule is one sentence, and each test lists every module that breaks it:

- contract/ imports nothing of the project (only its own modules);
- intake/ never imports models/, pyomo or highspy, not even through another module;
- only solving/ imports models/, pyomo or highspy (of optimizer/);
- checker.py imports only contract/;
- models/ imports only optimizer.contract of the application;
- no module imports a private name (``_x``) of another module, nor reads one as ``module._x``;
- every module of optimizer/ lives in a wing, but for the few at the top.

An import anywhere in a module counts (inside a function too): it still runs. ``python
tests/test_import_rules.py`` prints every violation, one a line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

WINGS = ("contract", "intake", "solving", "analysis", "reporting", "replan", "studies")
TOP_LEVEL = {"optimizer", "optimizer.cli", "optimizer.pipeline", "optimizer.checker", "optimizer.files",
             "optimizer.stages", "optimizer.execution"}
SOLVER_LIBRARIES = ("pyomo", "highspy")
CONTRACT = "optimizer.contract"


def project_root() -> Path:
    """The checkout this file stands in (tests/), or else the folder pytest runs from."""
    here = Path(__file__).resolve()
    for folder in [*here.parents, Path.cwd()]:
        if (folder / "optimizer" / "__init__.py").is_file() and (folder / "models" / "__init__.py").is_file():
            return folder
    raise FileNotFoundError("no checkout with optimizer/ and models/ above this file or in the current folder")


def project_sources(root: Path) -> dict[str, str]:
    """Dotted module name -> source, for every module of optimizer/ and models/."""
    sources = {}
    for package in ("optimizer", "models"):
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            sources[".".join(parts)] = path.read_text(encoding="utf-8")
    return sources


@dataclass(frozen=True)
class Import:
    importer: str
    module: str          # what is imported: a module, or a module a name is taken from
    name: str | None     # the name taken with ``from module import name``
    line: int

    def where(self) -> str:
        taken = f"{self.module}.{self.name}" if self.name else self.module
        return f"{self.importer}:{self.line} imports {taken}"


def is_package(module: str, sources: dict[str, str]) -> bool:
    return any(other.startswith(module + ".") for other in sources)


def imports_of(module: str, source: str, sources: dict[str, str]) -> list[Import]:
    """Every import statement of a module, relative ones made absolute."""
    package = module if is_package(module, sources) else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found += [Import(module, base, alias.name, node.lineno) for alias in node.names]
    return found


def targets(item: Import, sources: dict[str, str]) -> list[str]:
    """The modules an import loads: ``from optimizer.analysis import explain`` loads both."""
    named = f"{item.module}.{item.name}" if item.name else None
    return [item.module] + ([named] if named in sources else [])


def is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def is_project(module: str) -> bool:
    return is_under(module, "optimizer") or is_under(module, "models")


def is_model_or_solver(module: str) -> bool:
    return is_under(module, "models") or any(is_under(module, library) for library in SOLVER_LIBRARIES)


def all_imports(sources: dict[str, str]) -> list[Import]:
    return [item for module, source in sources.items() for item in imports_of(module, source, sources)]


# --- the rules: each returns its violations, one line each ---------------------------------------

def contract_imports_nothing_of_the_project(sources: dict[str, str]) -> list[str]:
    return [item.where() for item in all_imports(sources) if is_under(item.importer, CONTRACT)
            and is_project(item.module) and not is_under(item.module, CONTRACT)]


def intake_never_reaches_models_or_solvers(sources: dict[str, str]) -> list[str]:
    """Through any chain of project modules: the whole import of intake/ must stay free of them."""
    edges: dict[str, list[Import]] = {}
    for item in all_imports(sources):
        edges.setdefault(item.importer, []).append(item)
    violations = []
    for start in (module for module in sources if is_under(module, "optimizer.intake")):
        seen, chains = {start}, [[start]]
        while chains:
            chain = chains.pop()
            for item in edges.get(chain[-1], []):
                for target in targets(item, sources):
                    if is_model_or_solver(target):
                        violations.append(" -> ".join(chain) + f" -> {target}  (line {item.line} of {chain[-1]})")
                        break
                    if target in sources and target not in seen:
                        seen.add(target)
                        chains.append(chain + [target])
    return sorted(set(violations))


def only_solving_imports_models_or_solvers(sources: dict[str, str]) -> list[str]:
    return [item.where() for item in all_imports(sources)
            if is_under(item.importer, "optimizer") and not is_under(item.importer, "optimizer.solving")
            and is_model_or_solver(item.module)]


def checker_imports_only_the_contract(sources: dict[str, str]) -> list[str]:
    return [item.where() for item in all_imports(sources) if item.importer == "optimizer.checker"
            and is_project(item.module) and not is_under(item.module, CONTRACT)]


def models_import_only_the_contract(sources: dict[str, str]) -> list[str]:
    return [item.where() for item in all_imports(sources) if is_under(item.importer, "models")
            and is_under(item.module, "optimizer") and not is_under(item.module, CONTRACT)]


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def no_private_name_of_another_module(sources: dict[str, str]) -> list[str]:
    """``from x import _y``, and ``x._y`` where x names a project module imported here."""
    violations = []
    for module, source in sources.items():
        aliases = {}
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and is_project(node.module):
                for alias in node.names:
                    if is_private(alias.name):
                        violations.append(f"{module}:{node.lineno} imports {node.module}.{alias.name}")
                    elif f"{node.module}.{alias.name}" in sources:
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if is_project(alias.name) and alias.asname:
                        aliases[alias.asname] = alias.name
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and is_private(node.attr)):
                violations.append(f"{module}:{node.lineno} reads {aliases[node.value.id]}.{node.attr}")
    return violations


def every_module_lives_in_a_wing(sources: dict[str, str]) -> list[str]:
    wings = tuple(f"optimizer.{wing}" for wing in WINGS)
    return [f"{module} is in no wing" for module in sources if is_under(module, "optimizer")
            and module not in TOP_LEVEL and not any(is_under(module, wing) for wing in wings)]


RULES = [contract_imports_nothing_of_the_project, intake_never_reaches_models_or_solvers,
         only_solving_imports_models_or_solvers, checker_imports_only_the_contract,
         models_import_only_the_contract, no_private_name_of_another_module, every_module_lives_in_a_wing]


# --- the tests -----------------------------------------------------------------------------------

def check(rule) -> None:
    violations = rule(project_sources(project_root()))
    assert not violations, f"{rule.__name__}:\n  " + "\n  ".join(violations)


def test_contract_imports_nothing_of_the_project():
    check(contract_imports_nothing_of_the_project)


def test_intake_never_reaches_models_pyomo_or_highspy():
    check(intake_never_reaches_models_or_solvers)


def test_only_solving_imports_models_pyomo_or_highspy():
    check(only_solving_imports_models_or_solvers)


def test_checker_imports_only_the_contract():
    check(checker_imports_only_the_contract)


def test_models_import_only_the_contract():
    check(models_import_only_the_contract)


def test_no_module_imports_a_private_name_of_another():
    check(no_private_name_of_another_module)


def test_every_module_lives_in_a_wing():
    check(every_module_lives_in_a_wing)


def test_every_wing_has_modules_for_the_rules_to_read():
    """A rule over an empty wing cannot fail: each wing, and models/, must hold modules."""
    sources = project_sources(project_root())
    for package in [f"optimizer.{wing}" for wing in WINGS] + ["models"]:
        assert any(is_under(module, package) and module != package for module in sources), package


def test_the_rules_catch_what_they_forbid():
    """Each rule, fed a small made-up tree that breaks it, names the module and line."""
    sources = {
        "optimizer": "", "models": "import pyomo.environ\n",
        "optimizer.contract": "", "optimizer.contract.data": "from optimizer.intake import reader\n",
        "optimizer.intake": "", "optimizer.intake.reader": "from optimizer.contract import data\n",
        "optimizer.intake.validate": "from . import reader\nfrom optimizer.studies import sweep\n",
        "optimizer.studies": "", "optimizer.studies.sweep": "import models\n",
        "optimizer.solving": "", "optimizer.solving.highs": "import highspy\nfrom models import build_model\n",
        "optimizer.checker": "from optimizer.intake.reader import read\n",
        "optimizer.pipeline": "from optimizer.solving.highs import _solve\nfrom optimizer.studies import sweep\n"
                              "sweep._Stages()\n",
        "optimizer.stray": "",
        "models.ordering": "from optimizer.intake.reader import read\nfrom optimizer.contract.data import Slot\n",
    }
    assert contract_imports_nothing_of_the_project(sources) == [
        "optimizer.contract.data:1 imports optimizer.intake.reader"]
    assert intake_never_reaches_models_or_solvers(sources) == [
        "optimizer.intake.validate -> optimizer.studies.sweep -> models  (line 1 of optimizer.studies.sweep)"]
    assert only_solving_imports_models_or_solvers(sources) == ["optimizer.studies.sweep:1 imports models"]
    assert checker_imports_only_the_contract(sources) == ["optimizer.checker:1 imports optimizer.intake.reader.read"]
    assert models_import_only_the_contract(sources) == ["models.ordering:1 imports optimizer.intake.reader.read"]
    assert no_private_name_of_another_module(sources) == [
        "optimizer.pipeline:1 imports optimizer.solving.highs._solve",
        "optimizer.pipeline:3 reads optimizer.studies.sweep._Stages"]
    assert every_module_lives_in_a_wing(sources) == ["optimizer.stray is in no wing"]


if __name__ == "__main__":
    every = project_sources(project_root())
    for each in RULES:
        found = each(every)
        print(f"{each.__name__}: {len(found)}")
        for line in found:
            print("  " + line)
