"""The library files a script runs: its ``plugen`` imports, followed through the package.

The workflow makes these files a job's inputs, so editing a module reruns exactly the jobs
whose scripts import it (directly or through other modules), with no hand-kept lists. Imports
anywhere in a module count (a function's lazy import too), except ``if TYPE_CHECKING:`` blocks
and the lazy exports of a package ``__getattr__``, which count only for the names a module
imports from that package.
``importlib.import_module(f"plugen.pkg.{...}")`` counts as importing every module of
``plugen.pkg``; data files beside an imported module (``*.json``, ``*.txt``) count with it.
Standard library only: the Snakefile calls it at every start.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from functools import cache
from pathlib import Path

DATA_SUFFIXES = (".json", ".txt")


def _module_file(root: Path, dotted: str) -> Path | None:
    """``plugen.a.b`` -> root/a/b.py or root/a/b/__init__.py (root: the plugen folder)."""
    parts = dotted.split(".")[1:]
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _lazy_exports(tree: ast.Module) -> list[str]:
    """Modules a package's ``__getattr__`` imports (its lazily exported names' homes)."""
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            out += [name for sub in ast.walk(node) for name in _imported(sub, "")]
    return out


def _dynamic_package(call: ast.Call) -> str | None:
    """``import_module(f"plugen.pkg.{x}")`` -> ``plugen.pkg``."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name != "import_module" or not call.args or not isinstance(call.args[0], ast.JoinedStr):
        return None
    first = call.args[0].values[0] if call.args[0].values else None
    if isinstance(first, ast.Constant) and str(first.value).startswith("plugen."):
        return str(first.value).rstrip(".")
    return None


def _imported(node: ast.AST, package: str) -> list[str]:
    """Dotted ``plugen`` modules one import node names (``from . import x`` resolved against
    ``package``); ``from plugen import name`` gives ``plugen.name`` (a submodule or not)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "plugen"]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    if module.split(".")[0] != "plugen":
        return []
    return [module] + [f"{module}.{a.name}" for a in node.names]


def _direct(path: Path, root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(modules ``path`` imports, packages it imports dynamically), as dotted names."""
    # a module's package (an __init__'s own): what ``from . import x`` is relative to
    inside = path.is_relative_to(root)
    package = ".".join(path.relative_to(root.parent).parts[:-1]) if inside else ""
    return _parsed(path.read_text(), str(path), package)


@cache
def _parsed(text: str, where: str, package: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tree = ast.parse(text, where)
    lazy = set()  # nodes that import nothing at run time, or only on demand
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__" and node in tree.body:
            lazy |= {id(n) for n in ast.walk(node)}
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            lazy |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    names, dynamic = [], []
    for node in ast.walk(tree):
        if id(node) in lazy:
            continue
        names += _imported(node, package)
        if isinstance(node, ast.Call) and (pkg := _dynamic_package(node)):
            dynamic.append(pkg)
    return tuple(names), tuple(dynamic)


def _package_modules(root: Path, package: str) -> list[str]:
    """Dotted names of the modules in ``package`` (``plugen.x``), its ``__init__`` and its
    subpackages' too."""
    folder = root.joinpath(*package.split(".")[1:])
    modules = [
        f"{package}.{p.stem}" if p.stem != "__init__" else package for p in folder.glob("*.py")
    ]
    return modules + [f"{package}.{p.parent.name}" for p in folder.glob("*/__init__.py")]


def library_files(script: str | Path, root: str | Path, modules: Sequence[str] = ()) -> list[str]:
    """Sorted paths of every file under ``root`` (the ``plugen`` package folder) that
    ``script`` runs through its imports, data files beside them included; ``modules``: dotted
    ``plugen`` modules the script imports by a name it is given (a param), followed the same way.

    Raises FileNotFoundError for a missing script and SyntaxError for one that does not parse.
    """
    root = Path(root).resolve()
    seen: set[Path] = set()
    names, dynamic = _direct(Path(script).resolve(), root)
    todo = [*names, *modules] + [m for pkg in dynamic for m in _package_modules(root, pkg)]
    while todo:
        dotted = todo.pop()
        found = _module_file(root, dotted)
        if found is None:  # a name, not a module: the package's lazy export of it
            parent = _module_file(root, dotted.rsplit(".", 1)[0])
            if parent is not None and parent.name == "__init__.py":
                todo += _lazy_exports(ast.parse(parent.read_text()))
            continue
        chain = dotted.split(".")
        for i in range(2, len(chain)):  # importing a.b.c runs a/__init__ and a/b/__init__
            todo.append(".".join(chain[:i]))
        if found in seen:
            continue
        seen.add(found)
        names, dynamic = _direct(found, root)
        todo += list(names) + [m for pkg in dynamic for m in _package_modules(root, pkg)]
    data = {p for f in seen for p in f.parent.iterdir() if p.suffix in DATA_SUFFIXES}
    return sorted(str(p) for p in seen | data)
